'use client';
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { trpc } from '@/lib/trpc';
import type { TenantView } from '@/server/tenants/tenants.schemas';
import { formatExact } from '@/lib/format';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Table } from '@/components/ui/table';
import { useMe } from '../shell';

type Feedback = { tone: 'ok' | 'error'; text: string };

/** What a tenant still owns, in words; empty when it can be deleted. */
export function ownedSummary(usage: TenantView['usage']): string {
  const parts = [
    [usage.inferenceServers, 'inference server'],
    [usage.alertRules, 'alert rule'],
    [usage.browserSessions, 'browser session'],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, label]) => `${n} ${label}${n === 1 ? '' : 's'}`)
    .join(', ');
}

/** Owns the tenants page's data: the list, create, rename and delete. */
export function TenantsBoard() {
  const me = useMe();
  const utils = trpc.useUtils();
  const list = trpc.tenants.list.useQuery();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const [editing, setEditing] = useState<{ id: string; name: string } | null>(null);
  const [deleteTarget, setDeleteTarget] = useState<TenantView | null>(null);
  const [feedback, setFeedback] = useState<Feedback | null>(null);

  const create = trpc.tenants.create.useMutation({
    onSuccess: (tenant) => {
      setName('');
      setSlug('');
      setSlugTouched(false);
      setFeedback({ tone: 'ok', text: `Created tenant ${tenant.name} (${tenant.slug})` });
      void utils.tenants.list.invalidate();
    },
    onError: (error) => setFeedback({ tone: 'error', text: `Not created: ${error.message}` }),
  });
  const update = trpc.tenants.update.useMutation({
    onSuccess: (tenant) => {
      setEditing(null);
      setFeedback({ tone: 'ok', text: `Renamed to ${tenant.name}` });
      void utils.tenants.list.invalidate();
    },
    onError: (error) => setFeedback({ tone: 'error', text: `Not renamed: ${error.message}` }),
  });
  const remove = trpc.tenants.delete.useMutation({
    onSuccess: (tenant) => {
      setFeedback({ tone: 'ok', text: `Deleted tenant ${tenant.name}` });
      void utils.tenants.list.invalidate();
    },
    onError: (error) => setFeedback({ tone: 'error', text: `Not deleted: ${error.message}` }),
  });

  if (list.isPending) return <p className="text-sm text-slate-500">Loading tenants…</p>;
  if (list.isError)
    return (
      <p role="alert" className="text-sm text-red-700">
        Could not load tenants: {list.error.message}
      </p>
    );
  const canControl = me.role === 'admin';

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name: name.trim(), slug: slug.trim() });
  }

  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title" className="mb-4 text-xl font-semibold">
        Tenants
      </h1>
      {canControl ? (
        <form onSubmit={submit} className="mb-4 flex flex-wrap items-end gap-3 rounded-xl border border-slate-200 bg-white p-4">
          <label className="text-sm font-medium">
            Name
            <input
              required
              maxLength={100}
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                if (!slugTouched) setSlug(slugFrom(e.target.value));
              }}
              className="mt-1 block w-56 rounded-md border border-slate-300 px-3 py-2 text-sm"
            />
          </label>
          <label className="text-sm font-medium">
            Slug
            <input
              required
              maxLength={64}
              pattern="[a-z0-9]+(-[a-z0-9]+)*"
              title="lower-case letters and digits, in groups joined by single dashes"
              value={slug}
              onChange={(e) => {
                setSlugTouched(true);
                setSlug(e.target.value);
              }}
              className="mt-1 block w-48 rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
            />
          </label>
          <button
            type="submit"
            disabled={create.isPending}
            className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-[#fff] hover:bg-indigo-500 disabled:opacity-50"
          >
            {create.isPending ? 'Creating…' : 'Create tenant'}
          </button>
        </form>
      ) : null}
      {feedback ? (
        <p role="status" className={`mb-4 text-sm ${feedback.tone === 'error' ? 'text-red-700' : 'text-emerald-700'}`}>
          {feedback.text}
        </p>
      ) : null}

      {list.data.length === 0 ? (
        <p className="rounded-xl border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-600">
          No tenants yet. Create one above, or load the demo data on the{' '}
          <Link href="/inference" className="font-medium text-indigo-700 underline">
            Inference page
          </Link>
          .
        </p>
      ) : (
        <Table
          framed
          label="Tenants"
          rows={list.data}
          rowKey={(t) => t.id}
          rowTestId={(t) => `tenant-${t.slug}`}
          columns={[
            {
              header: 'Name',
              cell: (t) =>
                editing?.id === t.id ? (
                  <form
                    onSubmit={(e) => {
                      e.preventDefault();
                      update.mutate({ id: t.id, changes: { name: editing.name.trim() } });
                    }}
                    className="flex gap-2"
                  >
                    <input
                      autoFocus
                      aria-label="New name"
                      required
                      maxLength={100}
                      value={editing.name}
                      onChange={(e) => setEditing({ id: t.id, name: e.target.value })}
                      className="w-48 rounded-md border border-slate-300 px-2 py-1 text-sm"
                    />
                    <button
                      type="submit"
                      disabled={update.isPending}
                      className="rounded-md bg-indigo-600 px-2 py-1 text-xs font-semibold text-[#fff] disabled:opacity-50"
                    >
                      Save
                    </button>
                    <button type="button" onClick={() => setEditing(null)} className="rounded-md border border-slate-300 px-2 py-1 text-xs">
                      Cancel
                    </button>
                  </form>
                ) : (
                  t.name
                ),
            },
            { header: 'Slug', className: 'font-mono text-xs', cell: (t) => t.slug },
            { header: 'Owns', className: 'text-slate-600', cell: (t) => ownedSummary(t.usage) || 'nothing' },
            { header: 'Created', className: 'text-slate-600', title: (t) => formatExact(t.createdAt), cell: (t) => new Date(t.createdAt).toLocaleDateString() },
          ]}
          actions={
            canControl
              ? (t) => {
                  const owns = ownedSummary(t.usage);
                  return (
                    <div className="flex justify-end gap-2">
                      <button
                        type="button"
                        onClick={() => setEditing({ id: t.id, name: t.name })}
                        className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50"
                      >
                        Rename
                      </button>
                      <button
                        type="button"
                        disabled={owns !== '' || remove.isPending}
                        title={owns ? `Still owns ${owns}; delete those first` : undefined}
                        onClick={() => setDeleteTarget(t)}
                        className="rounded-md border border-red-300 px-2 py-1 text-xs text-red-700 hover:bg-red-50 disabled:opacity-40"
                      >
                        Delete
                      </button>
                    </div>
                  );
                }
              : undefined
          }
        />
      )}
      <ConfirmDialog
        open={deleteTarget !== null}
        title={`Delete tenant ${deleteTarget?.name ?? ''}?`}
        confirmLabel="Delete tenant"
        onCancel={() => setDeleteTarget(null)}
        onConfirm={() => {
          if (deleteTarget) remove.mutate({ id: deleteTarget.id });
          setDeleteTarget(null);
        }}
      >
        API tokens restricted to this tenant will no longer see anything.
      </ConfirmDialog>
    </section>
  );
}

/** "Team A / Research" → "team-a-research". */
function slugFrom(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}
