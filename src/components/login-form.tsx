'use client';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { Field } from '@/components/ui/field';
import { trpc } from '@/lib/trpc';

/** `sessionEnded`: the page came here because its session ended elsewhere (signed out, disabled); it says so. */
export function LoginForm({ sessionEnded = false }: { sessionEnded?: boolean }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = trpc.auth.login.useMutation({
    onSuccess: async () => {
      await utils.auth.me.invalidate();
      router.replace('/automations');
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    login.mutate({ email, password });
  }

  return (
    <form onSubmit={submit} className="w-full max-w-sm space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm" aria-labelledby="login-title">
      <div>
        <h1 id="login-title" className="text-xl font-semibold">
          Automations Console
        </h1>
        <p className="mt-1 text-sm text-slate-600">Sign in with your operator account.</p>
      </div>
      {sessionEnded ? (
        <p role="status" data-testid="session-ended" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Your session ended: you were signed out in another window, or an administrator ended it. Sign in again to continue.
        </p>
      ) : null}
      <Field label="Email">
        {(control) => (
          <input {...control} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        )}
      </Field>
      <Field label="Password">
        {(control) => (
          <input
            {...control}
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      {login.error ? (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {login.error.message}
        </p>
      ) : null}
      <button
        type="submit"
        disabled={login.isPending}
        className="w-full rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-[#fff] hover:bg-indigo-500 disabled:opacity-60"
      >
        {login.isPending ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="text-xs text-slate-500">First start? The admin password was printed once in the server log, unless CONSOLE_ADMIN_PASSWORD was set.</p>
    </form>
  );
}
