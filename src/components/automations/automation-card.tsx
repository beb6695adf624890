'use client';
import type { AutomationView } from '@/server/automations/automation.schemas';
import { formatDuration, formatExact, formatMetricValue, formatRelative, metricLabel } from '@/lib/format';
import { StateBadge } from './state-badge';

export interface CardActions {
  canControl: boolean;
  pending: 'run' | 'pause' | 'resume' | null;
  onRun(): void;
  onPause(): void;
  onResume(): void;
  onHistory(): void;
  historyOpen: boolean;
}

const PRIMARY = 'rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-[#fff] hover:bg-indigo-500';
const SECONDARY = 'rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50';

/** One automation: what it is, its live state and metrics, and the controls its state allows. Pure. */
export function AutomationCard({
  automation: a,
  now,
  actions,
  feedback,
}: {
  automation: AutomationView;
  now: number;
  actions: CardActions;
  feedback: { tone: 'ok' | 'error' | 'info'; text: string } | null;
}) {
  const busy = actions.pending !== null;
  const runningSince = a.state === 'running' && a.lastStartedAt ? now - Date.parse(a.lastStartedAt) : null;
  return (
    <article
      aria-labelledby={`${a.key}-title`}
      data-testid={`card-${a.key}`}
      className="flex min-w-0 flex-col rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <header className="flex items-start justify-between gap-3">
        <div>
          <h2 id={`${a.key}-title`} className="font-semibold">
            {a.name}
          </h2>
          <p className="font-mono text-xs text-slate-500">{a.key}</p>
        </div>
        <StateBadge state={a.state} />
      </header>
      <LastRunLine automation={a} />
      <p className="mt-2 text-sm text-slate-600">{a.description}</p>

      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Domain</dt>
        <dd>{a.domain}</dd>
        <dt className="text-slate-500">Cadence</dt>
        <dd title={a.schedule ?? undefined}>
          {a.cadenceLabel}
          {a.schedule ? <span className="block whitespace-nowrap font-mono text-xs text-slate-500">{a.schedule}</span> : null}
        </dd>
        <dt className="text-slate-500">Lock</dt>
        <dd title={a.distributed ? 'One run at a time across all instances' : 'The run lock covers this instance only'}>
          {a.distributed ? 'Shared (Redis)' : 'This instance'}
        </dd>
        {a.nextRunAt ? (
          <>
            <dt className="text-slate-500">Next run</dt>
            <dd title={formatExact(a.nextRunAt)}>{formatRelative(a.nextRunAt, now)}</dd>
          </>
        ) : null}
        <dt className="text-slate-500">Last started</dt>
        <dd title={formatExact(a.lastStartedAt)} data-testid="last-started">
          {formatRelative(a.lastStartedAt, now)}
        </dd>
        <dt className="text-slate-500">Last completed</dt>
        <dd title={formatExact(a.lastCompletedAt)} data-testid="last-completed">
          {formatRelative(a.lastCompletedAt, now)}
        </dd>
        <dt className="text-slate-500">Last duration</dt>
        <dd>{formatDuration(a.lastDurationMs)}</dd>
        {runningSince !== null ? (
          <>
            <dt className="text-slate-500">Running for</dt>
            <dd>
              {formatDuration(runningSince)}
              {a.runningOn.length ? ` on ${a.runningOn.join(', ')}` : ''}
            </dd>
          </>
        ) : null}
      </dl>

      <h3 className="mt-3 text-xs font-semibold uppercase tracking-wide text-slate-500">Metrics</h3>
      <dl className="mt-1 grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
        {Object.entries(a.metrics).map(([key, value]) => (
          <div key={key} className="contents">
            <dt className="text-slate-500">{metricLabel(key)}</dt>
            <dd className="tabular-nums">{formatMetricValue(value)}</dd>
          </div>
        ))}
      </dl>

      {a.state === 'paused' ? (
        <p className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="pause-details">
          Paused by {a.pausedBy ?? 'unknown'} {formatRelative(a.pausedAt, now)}
          {a.pauseReason ? <>: “{a.pauseReason}”</> : null}
          {a.pausedUntil ? <> · resumes {formatRelative(a.pausedUntil, now)}</> : null}
        </p>
      ) : null}

      {a.lastError ? (
        <details className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          <summary className="cursor-pointer">Last error</summary>
          <p className="mt-1 whitespace-pre-wrap break-words font-mono text-xs">{a.lastError}</p>
        </details>
      ) : null}

      <div className="mt-auto pt-4">
        <div className="flex flex-wrap gap-2">
          {/* aria-disabled, not disabled: a disabled button drops keyboard focus to the page body. */}
          {actions.canControl && a.supportsTrigger ? (
            <button
              type="button"
              onClick={() => {
                if (!busy && a.state !== 'running') actions.onRun();
              }}
              aria-disabled={busy || a.state === 'running'}
              className={`${PRIMARY} aria-disabled:opacity-50`}
            >
              {actions.pending === 'run' ? 'Running…' : 'Run now'}
            </button>
          ) : null}
          {/* One button for Pause and Resume, so focus stays on it when the state flips. */}
          {actions.canControl && a.supportsPause ? (
            <button
              type="button"
              data-testid="pause-toggle"
              onClick={() => {
                if (!busy) (a.state === 'paused' ? actions.onResume : actions.onPause)();
              }}
              aria-disabled={busy}
              className={`${SECONDARY} aria-disabled:opacity-50`}
            >
              {actions.pending === 'pause' ? 'Pausing…' : actions.pending === 'resume' ? 'Resuming…' : a.state === 'paused' ? 'Resume' : 'Pause'}
            </button>
          ) : null}
          {actions.canControl && !a.supportsPause ? <span className="self-center text-xs text-slate-500">Manual only: cannot be paused</span> : null}
          <button
            type="button"
            id={`history-button-${a.key}`}
            onClick={actions.onHistory}
            aria-expanded={actions.historyOpen}
            className="ml-auto rounded-md px-2 py-1.5 text-sm text-indigo-700 hover:bg-indigo-50"
          >
            History
          </button>
        </div>
        {/* Always present, so screen readers announce what is written into it. */}
        <p
          role="status"
          data-testid="card-feedback"
          className={`text-sm ${feedback ? 'mt-2' : ''} ${feedback?.tone === 'error' ? 'text-red-700' : feedback?.tone === 'ok' ? 'text-emerald-700' : 'text-slate-600'}`}
        >
          {feedback?.text}
        </p>
      </div>
    </article>
  );
}

const OUTCOME_TEXT: Record<string, { label: string; className: string }> = {
  succeeded: { label: 'succeeded', className: 'text-emerald-700' },
  failed: { label: 'failed', className: 'text-red-700' },
  abandoned: { label: 'abandoned (its instance stopped)', className: 'text-amber-700' },
  running: { label: 'running', className: 'text-sky-700' },
};

/** What the card leads with: how the last run ended, and how many failed in a row. */
function LastRunLine({ automation: a }: { automation: AutomationView }) {
  if (!a.lastRun)
    return (
      <p className="mt-2 text-sm text-slate-600" data-testid="last-run">
        No runs yet
      </p>
    );
  const outcome = OUTCOME_TEXT[a.lastRun.outcome] ?? { label: a.lastRun.outcome, className: '' };
  return (
    <p className="mt-2 text-sm" data-testid="last-run">
      Last run <span className={`font-semibold ${outcome.className}`}>{outcome.label}</span>
      <span className="text-slate-600"> ({a.lastRun.trigger})</span>
      {a.consecutiveFailures > 0 ? (
        <span className="font-semibold text-red-700">
          {' '}
          · {a.consecutiveFailures.toLocaleString()} {a.consecutiveFailures === 1 ? 'failure' : 'failures in a row'}
        </span>
      ) : null}
    </p>
  );
}
