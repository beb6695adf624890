'use client';
import { useEffect, useMemo, useState } from 'react';
import { trpc } from '@/lib/trpc';
import { applyLiveMessage } from '@/shared/live-message';
import type { SessionView } from '@/server/browser/browser.schemas';
import { SESSION_STATUSES, type SessionStatus } from '@/shared/session-statuses';
import { useMe, useSessionCheckOn } from '../shell';
import { CreateSessionForm } from './create-session-form';
import { type Feedback, type SessionAction, SessionCard } from './session-card';
import { SESSION_STATUS_TABLE } from './session-status';
import { SessionThumbnail } from './session-thumbnail';

/** Owns the data: the session list, the live subscription that keeps it fresh, and the session mutations. */
export function SessionsBoard() {
  const me = useMe();
  const utils = trpc.useUtils();
  const [tenantFilter, setTenantFilter] = useState('');
  const [statusFilter, setStatusFilter] = useState<SessionStatus | ''>('');
  const input = useMemo(() => ({ tenantId: tenantFilter || undefined, status: statusFilter || undefined, limit: 100 }), [tenantFilter, statusFilter]);
  const list = trpc.browser.list.useQuery(input);
  const tenants = trpc.browser.tenants.useQuery(undefined, { staleTime: 60_000 });
  const live = trpc.browser.onChange.useSubscription(input, {
    // A snapshot, then only what changed (with ids, so a reconnect resumes after the last one it merged).
    onData: ({ data }) => utils.browser.list.setData(input, (old) => ({ sessions: applyLiveMessage(old?.sessions, data, (s) => s.id) })),
  });
  // Read before any early return: the hook re-renders only for properties read during render.
  const liveStatus = live.status;
  useSessionCheckOn(liveStatus);

  const [now, setNow] = useState(() => Date.now());
  const [pending, setPending] = useState<Record<string, SessionAction | null>>({});
  const [feedback, setFeedback] = useState<Record<string, Feedback>>({});
  const [screenshots, setScreenshots] = useState<Record<string, string>>({});
  const [createFeedback, setCreateFeedback] = useState<Feedback | null>(null);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const start = (id: string, action: SessionAction) => setPending((p) => ({ ...p, [id]: action }));
  const settle = (id: string, result: Feedback) => {
    setPending((p) => ({ ...p, [id]: null }));
    setFeedback((f) => ({ ...f, [id]: result }));
  };
  const replace = (session: SessionView) =>
    utils.browser.list.setData(input, (old) => (old ? { sessions: old.sessions.map((s) => (s.id === session.id ? session : s)) } : old));

  const create = trpc.browser.create.useMutation({
    onMutate: () => setCreateFeedback(null),
    onSuccess: ({ session }) => {
      setCreateFeedback(
        session.status === 'ready'
          ? { tone: 'ok', text: `Session ready: ${session.title || session.currentUrl || session.startUrl}` }
          : { tone: 'error', text: `The session could not load its start URL: ${session.error ?? session.status}` },
      );
      void utils.browser.list.invalidate();
    },
    onError: (error) => setCreateFeedback({ tone: 'error', text: `No session opened: ${error.message}` }),
  });
  const navigate = trpc.browser.navigate.useMutation({
    onMutate: ({ id }) => start(id, 'navigate'),
    onSuccess: ({ session }, { id }) => {
      replace(session);
      settle(
        id,
        session.error ? { tone: 'error', text: `Not loaded: ${session.error}` } : { tone: 'ok', text: `Loaded ${session.title || session.currentUrl}` },
      );
    },
    onError: (error, { id }) => settle(id, { tone: 'error', text: `Not navigated: ${error.message}` }),
  });
  const screenshot = trpc.browser.screenshot.useMutation({
    onMutate: ({ id }) => start(id, 'screenshot'),
    onSuccess: ({ session, dataUrl }, { id }) => {
      replace(session);
      setScreenshots((s) => ({ ...s, [id]: dataUrl }));
      settle(id, { tone: 'ok', text: 'Screenshot taken; this counted as activity, so the idle timeout restarted' });
    },
    onError: (error, { id }) => settle(id, { tone: 'error', text: `No screenshot: ${error.message}` }),
  });
  const close = trpc.browser.close.useMutation({
    onMutate: ({ id }) => start(id, 'close'),
    onSuccess: ({ session }, { id }) => {
      replace(session);
      settle(id, { tone: 'ok', text: session.closeReason === 'requested' ? 'Closed: its browser context is gone' : `Already ${session.status}` });
    },
    onError: (error, { id }) => settle(id, { tone: 'error', text: `Not closed: ${error.message}` }),
  });

  const tenantNames = new Map((tenants.data ?? []).map((t) => [t.id, t.name]));
  const connected = liveStatus === 'pending';
  const sessions = list.data?.sessions ?? [];
  const liveCount = sessions.filter((s) => SESSION_STATUS_TABLE[s.status].live).length;

  return (
    <section aria-labelledby="sessions-title" className="space-y-4">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 id="sessions-title" className="text-xl font-semibold">
          Browser sessions
        </h1>
        <span role="status" data-testid="live-status" className={`text-xs ${connected ? 'text-emerald-700' : 'text-amber-700'}`}>
          {connected ? '● Live' : liveStatus === 'error' ? '○ Offline — reconnecting; values may be stale' : '○ Connecting…'}
        </span>
        {list.data ? (
          <span className="text-sm text-slate-500">
            {liveCount} live of {sessions.length} shown
          </span>
        ) : null}
      </div>

      {me.role === 'admin' ? (
        <div className="space-y-1">
          <CreateSessionForm tenants={tenants.data ?? []} pending={create.isPending} onCreate={(value) => create.mutate(value)} />
          {createFeedback ? (
            <p role="status" className={`text-sm ${createFeedback.tone === 'error' ? 'text-red-700' : 'text-emerald-700'}`}>
              {createFeedback.text}
            </p>
          ) : null}
        </div>
      ) : null}

      <div className="flex flex-wrap gap-3 text-sm">
        <label>
          <span className="mr-2 text-slate-600">Tenant</span>
          <select value={tenantFilter} onChange={(e) => setTenantFilter(e.target.value)} className="rounded-md border border-slate-300 px-2 py-1">
            <option value="">All tenants</option>
            {(tenants.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="mr-2 text-slate-600">Status</span>
          <select
            value={statusFilter}
            onChange={(e) => setStatusFilter(e.target.value as SessionStatus | '')}
            className="rounded-md border border-slate-300 px-2 py-1"
          >
            <option value="">All statuses</option>
            {SESSION_STATUSES.map((status) => (
              <option key={status} value={status}>
                {SESSION_STATUS_TABLE[status].label}
              </option>
            ))}
          </select>
        </label>
      </div>

      {list.isPending ? <p className="text-sm text-slate-500">Loading sessions…</p> : null}
      {list.isError ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load sessions: {list.error.message}
        </p>
      ) : null}
      {list.data && sessions.length === 0 ? <p className="text-sm text-slate-500">No sessions match.</p> : null}

      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3">
        {sessions.map((s) => (
          <SessionCard
            key={s.id}
            session={s}
            tenantName={tenantNames.get(s.tenantId) ?? s.tenantId}
            now={now}
            thumbnail={<SessionThumbnail id={s.id} thumbnailAt={s.thumbnailAt} label={s.title || s.startUrl} />}
            screenshot={screenshots[s.id] ?? null}
            onHideScreenshot={() => setScreenshots(({ [s.id]: _hidden, ...rest }) => rest)}
            feedback={feedback[s.id] ?? null}
            actions={{
              canControl: me.role === 'admin',
              pending: pending[s.id] ?? null,
              onClose: () => close.mutate({ id: s.id }),
              onScreenshot: () => screenshot.mutate({ id: s.id }),
              onNavigate: (url) => navigate.mutate({ id: s.id, url }),
            }}
          />
        ))}
      </div>
    </section>
  );
}
