'use client';
import type { SampleView, ServerView } from '@/server/inference/inference.schemas';
import { formatDuration, formatExact, formatRelative } from '@/lib/format';
import { KIND_TABLE } from './server-form-dialog';
import { ServerStatusBadge, displayStatus } from './server-status';
import { Sparkline } from './sparkline';

export interface ServerCardActions {
  canControl: boolean;
  pending: 'toggle' | 'delete' | null;
  onEdit(): void;
  onToggle(): void;
  onDelete(): void;
}

/** One server: status, last poll, latency and queue charts from its samples (oldest first), and its controls. Pure. */
export function ServerCard({
  server: s,
  samples,
  now,
  actions,
  feedback,
}: {
  server: ServerView;
  samples: SampleView[];
  now: number;
  actions: ServerCardActions;
  feedback: { tone: 'ok' | 'error'; text: string } | null;
}) {
  const points = samples.map((x) => ({ t: Date.parse(x.at), x }));
  const latest = samples.at(-1) ?? null;
  const busy = actions.pending !== null;
  return (
    <article
      aria-labelledby={`server-${s.id}`}
      data-testid={`server-${s.name}`}
      className="flex min-w-0 flex-col rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <header className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <h3 id={`server-${s.id}`} className="truncate font-semibold">
            {s.name}
          </h3>
          <p className="truncate font-mono text-xs text-slate-500" title={s.baseUrl}>
            {KIND_TABLE[s.kind].label} · {s.baseUrl}
          </p>
        </div>
        <ServerStatusBadge status={displayStatus(s)} />
      </header>

      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Last polled</dt>
        <dd title={formatExact(s.lastPolledAt)}>{formatRelative(s.lastPolledAt, now)}</dd>
        <dt className="text-slate-500">Latency</dt>
        <dd className="tabular-nums">{formatDuration(s.lastLatencyMs)}</dd>
        <dt className="text-slate-500">Interval</dt>
        <dd>
          every {s.pollIntervalSeconds} s{s.hasApiKey ? ' · API key set' : ''}
        </dd>
        {latest?.models?.length ? (
          <>
            <dt className="text-slate-500">Models</dt>
            <dd className="truncate" title={latest.models.join(', ')}>
              {latest.models.join(', ')}
            </dd>
          </>
        ) : null}
        {latest?.kvCacheUsagePct !== null && latest?.kvCacheUsagePct !== undefined ? (
          <>
            <dt className="text-slate-500">KV cache</dt>
            <dd className="tabular-nums">{latest.kvCacheUsagePct.toFixed(1)} %</dd>
          </>
        ) : null}
        {latest?.generationTokensPerSecond !== null && latest?.generationTokensPerSecond !== undefined ? (
          <>
            <dt className="text-slate-500">Generation</dt>
            <dd className="tabular-nums">{latest.generationTokensPerSecond.toFixed(0)} tok/s</dd>
          </>
        ) : null}
        {latest?.ttftMs !== null && latest?.ttftMs !== undefined ? (
          <>
            <dt className="text-slate-500">Time to first token</dt>
            <dd className="tabular-nums">{formatDuration(latest.ttftMs)}</dd>
          </>
        ) : null}
      </dl>

      {s.lastError ? (
        <p
          className={`mt-3 break-words rounded-md px-3 py-2 font-mono text-xs ${s.status === 'down' ? 'bg-red-50 text-red-800' : 'bg-amber-50 text-amber-900'}`}
          data-testid="last-error"
        >
          {s.lastError}
        </p>
      ) : null}

      <div className="mt-3 space-y-3">
        <Sparkline
          title="Latency"
          unit=" ms"
          format={(v) => `${Math.round(v)}`}
          series={[
            {
              label: 'poll',
              strokeClass: 'stroke-indigo-600',
              textClass: 'text-indigo-700',
              points: points.map((p) => ({ t: p.t, v: p.x.up ? p.x.latencyMs : null })),
            },
          ]}
        />
        <Sparkline
          title="Queue"
          unit=""
          format={(v) => `${Math.round(v)}`}
          series={[
            {
              label: 'running',
              strokeClass: 'stroke-emerald-600',
              textClass: 'text-emerald-700',
              points: points.map((p) => ({ t: p.t, v: p.x.requestsRunning })),
            },
            { label: 'waiting', strokeClass: 'stroke-amber-500', textClass: 'text-amber-700', points: points.map((p) => ({ t: p.t, v: p.x.requestsWaiting })) },
          ]}
        />
      </div>

      <div className="mt-auto pt-4">
        {actions.canControl ? (
          <div className="flex flex-wrap gap-2">
            <button
              type="button"
              onClick={actions.onEdit}
              disabled={busy}
              className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50 disabled:opacity-50"
            >
              Edit
            </button>
            <button
              type="button"
              onClick={actions.onToggle}
              disabled={busy}
              className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50 disabled:opacity-50"
            >
              {actions.pending === 'toggle' ? 'Saving…' : s.enabled ? 'Disable' : 'Enable'}
            </button>
            <button
              type="button"
              onClick={actions.onDelete}
              disabled={busy}
              className="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-50"
            >
              {actions.pending === 'delete' ? 'Deleting…' : 'Delete'}
            </button>
          </div>
        ) : null}
        {feedback ? (
          <p role="status" className={`mt-2 text-sm ${feedback.tone === 'error' ? 'text-red-700' : 'text-emerald-700'}`}>
            {feedback.text}
          </p>
        ) : null}
      </div>
    </article>
  );
}
