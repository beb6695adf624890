'use client';
import { type FormEvent, useState } from 'react';
import { Field } from '@/components/ui/field';
import { trpc } from '@/lib/trpc';
import { useMe } from './shell';

/** The signed-in operator's own account: who they are, and a password change. */
export function AccountPage() {
  const me = useMe();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = trpc.auth.changePassword.useMutation({
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setRepeat('');
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setMismatch(next !== repeat);
    if (next === repeat) change.mutate({ current, next });
  }

  return (
    <section aria-labelledby="account-title" className="space-y-4">
      <h1 id="account-title" className="text-xl font-semibold">
        Account
      </h1>
      <p className="text-sm text-slate-600">
        Signed in as <strong>{me.email}</strong> ({me.role}).
      </p>
      <form onSubmit={submit} className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="password-title">
        <h2 id="password-title" className="font-semibold">
          Change password
        </h2>
        <Field label="Current password" className="max-w-sm">
          {(control) => (
            <input {...control} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
          )}
        </Field>
        <Field label="New password" className="max-w-sm" hint="at least 8 characters">
          {(control) => (
            <input {...control} type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} />
          )}
        </Field>
        <Field label="New password again" className="max-w-sm" error={mismatch ? 'The two new passwords differ.' : null}>
          {(control) => (
            <input {...control} type="password" autoComplete="new-password" required minLength={8} value={repeat} onChange={(e) => setRepeat(e.target.value)} />
          )}
        </Field>
        {change.error ? (
          <p role="alert" className="text-sm text-red-700">
            {change.error.message}
          </p>
        ) : null}
        {change.isSuccess ? (
          <p role="status" className="text-sm text-emerald-700">
            Password changed. Your other sessions were signed out.
          </p>
        ) : null}
        <button
          type="submit"
          disabled={change.isPending}
          className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-[#fff] hover:bg-indigo-500 disabled:opacity-50"
        >
          {change.isPending ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
