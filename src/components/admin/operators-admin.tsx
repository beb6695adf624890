'use client';
import { type FormEvent, useState } from 'react';
import { trpc } from '@/lib/trpc';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field } from '@/components/ui/field';
import { Table } from '@/components/ui/table';
import { formatClockUtc, formatExact, formatRelative } from '@/lib/format';
import { useMe } from '../shell';
import { OperatorSessions } from './operator-sessions';

/** Operators of the console: create, change role, disable or enable. Admins only. */
export function OperatorsAdmin({ now }: { now: number }) {
  const me = useMe();
  const utils = trpc.useUtils();
  const operators = trpc.admin.operators.useQuery();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'admin' | 'viewer'>('viewer');
  const [sessionsOf, setSessionsOf] = useState<string | null>(null);
  const [disableTarget, setDisableTarget] = useState<{ id: string; email: string } | null>(null);
  // A role change waits for a confirmation: a select changes on one arrow key.
  const [roleTarget, setRoleTarget] = useState<{ id: string; email: string; role: 'admin' | 'viewer' } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const refresh = () => utils.admin.operators.invalidate();
  const said = (text: string) => setDone(`${text} · ${formatClockUtc(Date.now())}`);
  const create = trpc.admin.createOperator.useMutation({
    onSuccess: async () => {
      said(`Created ${email} (${role})`);
      setEmail('');
      setPassword('');
      await refresh();
    },
  });
  const setRoleOf = trpc.admin.setOperatorRole.useMutation({
    onSuccess: async (_r, input) => {
      said(`${operators.data?.find((o) => o.id === input.id)?.email ?? 'Operator'} is now ${input.role === 'admin' ? 'an admin' : 'a viewer'}`);
      await refresh();
    },
  });
  const setDisabled = trpc.admin.setOperatorDisabled.useMutation({
    onSuccess: async (_r, input) => {
      said(`${input.disabled ? 'Disabled' : 'Enabled'} ${operators.data?.find((o) => o.id === input.id)?.email ?? 'the operator'}`);
      await refresh();
    },
  });
  const error = create.error ?? setRoleOf.error ?? setDisabled.error;

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ email, password, role });
  }

  return (
    <div className="space-y-6">
      <form
        onSubmit={submit}
        className="grid gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-4 sm:items-end"
        aria-labelledby="new-operator"
      >
        <h2 id="new-operator" className="font-semibold sm:col-span-4">
          New operator
        </h2>
        <Field label="Email">{(control) => <input {...control} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
        <Field label="Initial password">
          {(control) => (
            <input
              {...control}
              type="password"
              required
              minLength={8}
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Field label="Role">
          {(control) => (
            <select {...control} value={role} onChange={(e) => setRole(e.target.value === 'admin' ? 'admin' : 'viewer')}>
              <option value="viewer">viewer (read only)</option>
              <option value="admin">admin</option>
            </select>
          )}
        </Field>
        <button
          type="submit"
          disabled={create.isPending}
          className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-[#fff] hover:bg-indigo-500 disabled:opacity-50"
        >
          {create.isPending ? 'Creating…' : 'Create operator'}
        </button>
      </form>
      {error ? (
        <p role="alert" className="text-sm text-red-700">
          {error.message}
        </p>
      ) : null}
      <p role="status" data-testid="operators-feedback" className="text-sm text-emerald-700 empty:hidden">
        {error ? null : done}
      </p>
      <section aria-labelledby="operator-list" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="operator-list" className="font-semibold">
          Operators
        </h2>
        <Table
          className="mt-2"
          label="Operators"
          minWidth="36rem"
          rows={operators.data ?? []}
          rowKey={(o) => o.id}
          columns={[
            {
              header: 'Email',
              cell: (o) => (
                <>
                  {o.email}
                  {o.email === me.email ? <span className="ml-1 text-xs text-slate-500">(you)</span> : null}
                </>
              ),
            },
            {
              header: 'Role',
              cell: (o) => (
                <select
                  aria-label={`Role of ${o.email}`}
                  value={o.role}
                  disabled={setRoleOf.isPending}
                  onChange={(e) => setRoleTarget({ id: o.id, email: o.email, role: e.target.value === 'admin' ? 'admin' : 'viewer' })}
                  className="rounded-md border border-slate-300 px-2 py-1 text-sm"
                >
                  <option value="viewer">viewer</option>
                  <option value="admin">admin</option>
                </select>
              ),
            },
            { header: 'Since', title: (o) => formatExact(o.createdAt), cell: (o) => formatRelative(o.createdAt, now) },
            { header: 'Status', cell: (o) => (o.disabledAt ? 'disabled' : 'active') },
          ]}
          actions={(o) => (
            <div className="flex justify-end gap-1">
              <button
                type="button"
                aria-expanded={sessionsOf === o.id}
                onClick={() => setSessionsOf(sessionsOf === o.id ? null : o.id)}
                className="rounded-md border border-slate-300 px-2 py-0.5 text-sm hover:bg-slate-50"
              >
                Sessions
              </button>
              <button
                type="button"
                disabled={setDisabled.isPending}
                onClick={() => (o.disabledAt ? setDisabled.mutate({ id: o.id, disabled: false }) : setDisableTarget(o))}
                className="rounded-md border border-slate-300 px-2 py-0.5 text-sm hover:bg-slate-50 disabled:opacity-50"
              >
                {o.disabledAt ? 'Enable' : 'Disable'}
              </button>
            </div>
          )}
        />
      </section>
      {operators.data
        ?.filter((o) => o.id === sessionsOf)
        .map((o) => (
          <OperatorSessions key={o.id} operator={o} now={now} />
        ))}
      <ConfirmDialog
        open={disableTarget !== null}
        title={`Disable ${disableTarget?.email ?? ''}?`}
        confirmLabel="Disable operator"
        onCancel={() => setDisableTarget(null)}
        onConfirm={() => {
          if (disableTarget) setDisabled.mutate({ id: disableTarget.id, disabled: true });
          setDisableTarget(null);
        }}
      >
        They cannot sign in until enabled again, and their sessions end at once on every console.
        {disableTarget?.email === me.email ? <strong className="mt-2 block">This is you: this page signs out at once.</strong> : null}
      </ConfirmDialog>
      <ConfirmDialog
        open={roleTarget !== null}
        title={roleTarget?.role === 'admin' ? `Make ${roleTarget.email} an admin?` : `Make ${roleTarget?.email ?? ''} a viewer?`}
        confirmLabel={roleTarget?.role === 'admin' ? 'Make admin' : 'Make viewer'}
        onCancel={() => setRoleTarget(null)}
        onConfirm={() => {
          if (roleTarget) setRoleOf.mutate({ id: roleTarget.id, role: roleTarget.role });
          setRoleTarget(null);
        }}
      >
        {roleTarget?.role === 'admin'
          ? 'An admin controls every automation, creates tokens and operators, and can change roles.'
          : 'A viewer sees every page but controls nothing.'}{' '}
        Their open pages follow the new role at once.
        {roleTarget?.email === me.email ? <strong className="mt-2 block">This is you: you lose admin rights, including this page.</strong> : null}
      </ConfirmDialog>
    </div>
  );
}
