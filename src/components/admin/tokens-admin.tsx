'use client';
import { type FormEvent, useState } from 'react';
import { trpc } from '@/lib/trpc';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field } from '@/components/ui/field';
import { Table } from '@/components/ui/table';
import { SCOPES, type Scope } from '@/shared/scopes';
import { formatExact, formatRelative } from '@/lib/format';

const EXPIRY_CHOICES: Array<{ label: string; seconds: number | undefined }> = [
  { label: '30 days', seconds: 30 * 86_400 },
  { label: '90 days', seconds: 90 * 86_400 },
  { label: '1 year', seconds: 365 * 86_400 },
  { label: 'Never', seconds: undefined },
];

/** API tokens: create (shown once, with copy), list, revoke. Admins only. */
export function TokensAdmin({ now }: { now: number }) {
  const utils = trpc.useUtils();
  const tokens = trpc.admin.tokens.useQuery();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(['automations:read']));
  const [expiry, setExpiry] = useState(EXPIRY_CHOICES[1]?.label ?? '90 days');
  const [tenantId, setTenantId] = useState('');
  const tenants = trpc.tenants.list.useQuery();
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [revokeTarget, setRevokeTarget] = useState<{ id: string; name: string } | null>(null);
  const create = trpc.admin.createToken.useMutation({
    onSuccess: async (result) => {
      setCreated({ name: result.view.name, token: result.token });
      setCopied(false);
      setName('');
      await utils.admin.tokens.invalidate();
    },
  });
  const revoke = trpc.admin.revokeToken.useMutation({ onSuccess: () => utils.admin.tokens.invalidate() });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name, scopes: [...scopes], expiresInSeconds: EXPIRY_CHOICES.find((c) => c.label === expiry)?.seconds, tenantId: tenantId || undefined });
  }

  return (
    <div className="space-y-6">
      <form onSubmit={submit} className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="new-token">
        <h2 id="new-token" className="font-semibold">
          New API token
        </h2>
        <Field label="Name" className="max-w-sm">
          {(control) => <input {...control} name="token-name" required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <fieldset>
          <legend className="text-sm font-medium">Scopes</legend>
          <div className="mt-1 grid grid-cols-1 gap-1 sm:grid-cols-3">
            {SCOPES.map((scope) => (
              <label key={scope} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={scopes.has(scope)}
                  onChange={(e) =>
                    setScopes((current) => {
                      const next = new Set(current);
                      if (e.target.checked) next.add(scope);
                      else next.delete(scope);
                      return next;
                    })
                  }
                />
                <span className="font-mono text-xs">{scope}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <Field label="Expires after" fit>
          {(control) => (
            <select {...control} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
              {EXPIRY_CHOICES.map((c) => (
                <option key={c.label}>{c.label}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Tenant" fit help="A token restricted to one tenant gets 404 for every other tenant’s objects.">
          {(control) => (
            <select {...control} value={tenantId} onChange={(e) => setTenantId(e.target.value)}>
              <option value="">All tenants</option>
              {tenants.data?.map((t) => (
                <option key={t.id} value={t.id}>
                  Only {t.name} ({t.slug})
                </option>
              ))}
            </select>
          )}
        </Field>
        {create.error ? (
          <p role="alert" className="text-sm text-red-700">
            {create.error.message}
          </p>
        ) : null}
        <button
          type="submit"
          disabled={create.isPending || scopes.size === 0}
          className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-[#fff] hover:bg-indigo-500 disabled:opacity-50"
        >
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </form>

      {created ? (
        <div role="status" className="rounded-xl border border-emerald-300 bg-emerald-50 p-4" data-testid="new-token">
          <p className="text-sm font-medium text-emerald-900">Token “{created.name}” created. Copy it now: it is shown only once.</p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code className="break-all rounded bg-white px-2 py-1 font-mono text-sm" data-testid="token-value">
              {created.token}
            </code>
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard?.writeText(created.token).then(
                  () => setCopied(true),
                  () => setCopied(false),
                );
              }}
              className="rounded-md border border-emerald-400 px-2 py-1 text-sm"
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button type="button" onClick={() => setCreated(null)} className="rounded-md px-2 py-1 text-sm text-slate-600">
              Done
            </button>
          </div>
        </div>
      ) : null}

      <section aria-labelledby="token-list" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="token-list" className="font-semibold">
          Tokens
        </h2>
        {tokens.data?.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">No tokens yet. Scripts and other services need one to use the REST API.</p>
        ) : null}
        {revoke.error ? (
          <p role="alert" className="mt-2 text-sm text-red-700">
            {revoke.error.message}
          </p>
        ) : null}
        {tokens.data && tokens.data.length > 0 ? (
          <Table
            className="mt-2"
            label="API tokens"
            minWidth="44rem"
            rows={tokens.data}
            rowKey={(t) => t.id}
            rowTestId={(t) => `token-row-${t.name}`}
            columns={[
              { header: 'Name', cell: (t) => t.name },
              { header: 'Prefix', className: 'font-mono text-xs', cell: (t) => `${t.prefix}…` },
              {
                header: 'Scopes',
                className: 'font-mono text-xs',
                cell: (t) => (
                  <>
                    {t.scopes.join(', ')}
                    {t.tenantId ? (
                      <span className="block font-sans text-slate-500">tenant {tenants.data?.find((x) => x.id === t.tenantId)?.slug ?? t.tenantId}</span>
                    ) : null}
                  </>
                ),
              },
              { header: 'Last used', title: (t) => formatExact(t.lastUsedAt), cell: (t) => formatRelative(t.lastUsedAt, now) },
              { header: 'Expires', title: (t) => formatExact(t.expiresAt), cell: (t) => (t.expiresAt ? formatRelative(t.expiresAt, now) : 'never') },
            ]}
            actions={(t) =>
              t.revokedAt ? (
                <span className="text-slate-500">revoked {formatRelative(t.revokedAt, now)}</span>
              ) : t.expiresAt !== null && Date.parse(t.expiresAt) <= now ? (
                <span className="text-slate-500">expired</span>
              ) : (
                <button
                  type="button"
                  disabled={revoke.isPending}
                  onClick={() => setRevokeTarget(t)}
                  className="rounded-md border border-red-300 px-2 py-0.5 text-sm text-red-700 hover:bg-red-50 disabled:opacity-50"
                >
                  Revoke
                </button>
              )
            }
          />
        ) : null}
      </section>
      <ConfirmDialog
        open={revokeTarget !== null}
        title={`Revoke token “${revokeTarget?.name ?? ''}”?`}
        confirmLabel="Revoke token"
        onCancel={() => setRevokeTarget(null)}
        onConfirm={() => {
          if (revokeTarget) revoke.mutate({ id: revokeTarget.id });
          setRevokeTarget(null);
        }}
      >
        Clients using it get 401 at once.
      </ConfirmDialog>
    </div>
  );
}
