'use client';
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import { trpc } from '@/lib/trpc';
import type { ServerView } from '@/server/inference/inference.schemas';
import { useMe } from '../shell';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { ServerCard, type ServerCardActions } from './server-card';
import { type ServerFormValues, ServerFormDialog } from './server-form-dialog';

/** How often the page asks for fresh servers and samples (the poll itself runs every 30 s by default). */
const REFRESH_MS = 10_000;
/** Samples per chart: an hour at the 10 s minimum interval. */
const CHART_SAMPLES = 360;

type Feedback = { tone: 'ok' | 'error'; text: string };
/** A page caption that promises a poll ("the next poll run fills the charts") is true only until that poll came. */
type PageFeedback = Feedback & { untilPolled?: 'all' | string };

/** Owns the data of the inference page: tenants, servers, their samples, and the mutations. */
export function InferenceBoard() {
  const me = useMe();
  const utils = trpc.useUtils();
  const tenants = trpc.tenants.list.useQuery();
  const servers = trpc.inference.list.useQuery(undefined, { refetchInterval: REFRESH_MS });
  const demo = trpc.inference.demoStatus.useQuery(undefined, { staleTime: 60_000 });
  const [now, setNow] = useState(() => Date.now());
  const [tenantFilter, setTenantFilter] = useState<string>('all');
  const [form, setForm] = useState<{ open: boolean; server: ServerView | null; error: string | null }>({ open: false, server: null, error: null });
  const [deleteTarget, setDeleteTarget] = useState<ServerView | null>(null);
  const [pending, setPending] = useState<Record<string, ServerCardActions['pending']>>({});
  const [feedback, setFeedback] = useState<Record<string, Feedback>>({});
  const [pageFeedback, setPageFeedback] = useState<PageFeedback | null>(null);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const refresh = () => Promise.all([utils.inference.list.invalidate(), utils.tenants.list.invalidate()]);
  const settle = (id: string, result: Feedback) => {
    setPending((p) => ({ ...p, [id]: null }));
    setFeedback((f) => ({ ...f, [id]: result }));
  };

  const create = trpc.inference.create.useMutation({
    onSuccess: (server) => {
      setForm({ open: false, server: null, error: null });
      setPageFeedback({ tone: 'ok', text: `Added ${server.name}; the next poll run polls it`, untilPolled: server.id });
      void refresh();
    },
    onError: (error) => setForm((f) => ({ ...f, error: error.message })),
  });
  const update = trpc.inference.update.useMutation({
    onSuccess: (server) => {
      setForm({ open: false, server: null, error: null });
      settle(server.id, { tone: 'ok', text: server.enabled ? 'Saved' : 'Disabled: not polled until enabled' });
      void refresh();
    },
    onError: (error, { id }) => {
      if (form.open) setForm((f) => ({ ...f, error: error.message }));
      else settle(id, { tone: 'error', text: `Not saved: ${error.message}` });
    },
  });
  const remove = trpc.inference.delete.useMutation({
    onSuccess: (server) => {
      setPageFeedback({ tone: 'ok', text: `Deleted ${server.name} and its samples` });
      void refresh();
    },
    onError: (error, { id }) => settle(id, { tone: 'error', text: `Not deleted: ${error.message}` }),
  });
  const loadDemo = trpc.inference.loadDemo.useMutation({
    onSuccess: (result) => {
      setPageFeedback({
        tone: 'ok',
        text:
          result.created > 0
            ? `Created tenant "${result.tenant.name}" with ${result.created} demo servers; the next poll run (within 30 s) fills the charts`
            : 'The demo data was already loaded',
        ...(result.created > 0 ? { untilPolled: 'all' as const } : {}),
      });
      void refresh();
    },
    onError: (error) => setPageFeedback({ tone: 'error', text: `Demo data not loaded: ${error.message}` }),
  });

  const tenantList = tenants.data ?? [];
  const tenantName = useMemo(() => new Map(tenantList.map((t) => [t.id, t.name])), [tenantList]);
  if (servers.isPending || tenants.isPending) return <p className="text-sm text-slate-500">Loading inference servers…</p>;
  if (servers.isError)
    return (
      <p role="alert" className="text-sm text-red-700">
        Could not load inference servers: {servers.error.message}
      </p>
    );

  const canControl = me.role === 'admin';
  const visible = servers.data.filter((s) => tenantFilter === 'all' || s.tenantId === tenantFilter);
  const groups = tenantList.map((t) => ({ tenant: t, servers: visible.filter((s) => s.tenantId === t.id) })).filter((g) => g.servers.length > 0);
  const empty = servers.data.length === 0;

  function submit(values: ServerFormValues) {
    if (form.server) {
      const s = form.server;
      setForm((f) => ({ ...f, error: null }));
      update.mutate({
        id: s.id,
        changes: {
          name: values.name,
          kind: values.kind,
          baseUrl: values.baseUrl,
          pollIntervalSeconds: values.pollIntervalSeconds,
          enabled: values.enabled,
          ...(values.apiKey === undefined ? {} : { apiKey: values.apiKey }),
        },
      });
    } else {
      create.mutate({ ...values, apiKey: values.apiKey ?? undefined });
    }
  }

  return (
    <section aria-labelledby="inference-title">
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <h1 id="inference-title" className="text-xl font-semibold">
          Inference servers
        </h1>
        <label className="ml-auto text-sm">
          <span className="sr-only">Tenant</span>
          <select value={tenantFilter} onChange={(e) => setTenantFilter(e.target.value)} className="rounded-md border border-slate-300 px-2 py-1.5 text-sm">
            <option value="all">All tenants</option>
            {tenantList.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        {canControl ? (
          <button
            type="button"
            disabled={tenantList.length === 0}
            title={tenantList.length === 0 ? 'Create a tenant first (Tenants page)' : undefined}
            onClick={() => setForm({ open: true, server: null, error: null })}
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-[#fff] hover:bg-indigo-500 disabled:opacity-50"
          >
            Add server
          </button>
        ) : null}
      </div>
      {pageFeedback && !promiseKept(pageFeedback, servers.data) ? (
        <p role="status" className={`mb-4 text-sm ${pageFeedback.tone === 'error' ? 'text-red-700' : 'text-emerald-700'}`}>
          {pageFeedback.text}
        </p>
      ) : null}

      {empty ? (
        <div className="rounded-xl border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-600">
          <p className="font-medium text-slate-800">No inference servers yet.</p>
          <p className="mt-1">
            Add one of yours
            {tenantList.length === 0 ? (
              <>
                {' '}
                (after{' '}
                <Link href="/tenants" className="font-medium text-indigo-700 underline">
                  creating a tenant
                </Link>
                )
              </>
            ) : (
              ''
            )}
            , or load the demo fleet: simulated vLLM, TGI, llama.cpp, Ollama and OpenAI-compatible servers served by this console.
          </p>
          {canControl ? (
            <div className="mt-3 flex flex-wrap items-center gap-3">
              <button
                type="button"
                disabled={loadDemo.isPending || !demo.data?.enabled}
                onClick={() => loadDemo.mutate()}
                className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-[#fff] hover:bg-indigo-500 disabled:opacity-50"
              >
                {loadDemo.isPending ? 'Loading…' : 'Load demo data'}
              </button>
              {demo.data && !demo.data.enabled ? (
                <span className="text-xs text-slate-500">The demo fleet is off: start the console with DEMO_FLEET=on to use it.</span>
              ) : null}
            </div>
          ) : null}
        </div>
      ) : null}

      {groups.map(({ tenant, servers: list }) => (
        <section key={tenant.id} aria-labelledby={`tenant-${tenant.id}`} className="mb-6">
          <h2 id={`tenant-${tenant.id}`} className="mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500">
            {tenant.name} <span className="font-mono normal-case text-slate-600">{tenant.slug}</span>
          </h2>
          <div className="grid grid-cols-1 gap-4 md:grid-cols-2 xl:grid-cols-3">
            {list.map((s) => (
              <ServerPanel
                key={s.id}
                server={s}
                now={now}
                feedback={feedback[s.id] ?? null}
                actions={{
                  canControl,
                  pending: pending[s.id] ?? null,
                  onEdit: () => setForm({ open: true, server: s, error: null }),
                  onToggle: () => {
                    setPending((p) => ({ ...p, [s.id]: 'toggle' }));
                    update.mutate({ id: s.id, changes: { enabled: !s.enabled } });
                  },
                  onDelete: () => setDeleteTarget(s),
                }}
              />
            ))}
          </div>
        </section>
      ))}

      <ServerFormDialog
        open={form.open}
        server={form.server}
        tenants={tenantList}
        defaultTenantId={tenantFilter === 'all' ? null : tenantFilter}
        pending={create.isPending || update.isPending}
        error={form.error}
        onCancel={() => setForm({ open: false, server: null, error: null })}
        onSubmit={submit}
      />
      <ConfirmDialog
        open={deleteTarget !== null}
        title={`Delete ${deleteTarget?.name ?? ''}?`}
        confirmLabel="Delete server"
        onCancel={() => setDeleteTarget(null)}
        onConfirm={() => {
          if (deleteTarget) {
            setPending((p) => ({ ...p, [deleteTarget.id]: 'delete' }));
            remove.mutate({ id: deleteTarget.id });
          }
          setDeleteTarget(null);
        }}
      >
        The server of tenant {deleteTarget ? (tenantName.get(deleteTarget.tenantId) ?? '') : ''} and all its samples are deleted. Alert rules that watch it stop
        seeing data.
      </ConfirmDialog>
    </section>
  );
}

/** One server card with its own samples query, refreshed with the list. */
function ServerPanel({ server, now, actions, feedback }: { server: ServerView; now: number; actions: ServerCardActions; feedback: Feedback | null }) {
  const samples = trpc.inference.samples.useQuery({ id: server.id, limit: CHART_SAMPLES }, { refetchInterval: REFRESH_MS });
  const ordered = useMemo(() => [...(samples.data ?? [])].reverse(), [samples.data]);
  return <ServerCard server={server} samples={ordered} now={now} actions={actions} feedback={feedback} />;
}

function promiseKept(feedback: PageFeedback, servers: readonly ServerView[]): boolean {
  if (feedback.untilPolled === undefined) return false;
  if (feedback.untilPolled === 'all') return servers.length > 0 && servers.every((s) => s.lastPolledAt !== null);
  return servers.some((s) => s.id === feedback.untilPolled && s.lastPolledAt !== null);
}
