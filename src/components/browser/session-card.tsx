'use client';
import { type FormEvent, type ReactNode, useState } from 'react';
import type { SessionView } from '@/server/browser/browser.schemas';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { formatDuration, formatExact, formatRelative } from '@/lib/format';
import { CLOSE_REASON_LABELS, SESSION_STATUS_TABLE, SessionStatusBadge } from './session-status';

export type SessionAction = 'close' | 'screenshot' | 'navigate';

export interface SessionCardActions {
  /** Admins: navigate and close. */
  canControl: boolean;
  pending: SessionAction | null;
  onClose(): void;
  onScreenshot(): void;
  onNavigate(url: string): void;
}

export interface Feedback {
  tone: 'ok' | 'error' | 'info';
  text: string;
}

/** Time left until a deadline, or what happens once it has passed (the reaper acts on its next run). */
function countdown(iso: string | null, now: number): string {
  if (iso === null) return '—';
  const left = Date.parse(iso) - now;
  return left > 0 ? formatDuration(left) : 'due: closed at the next reaper run';
}

/** One browser session: where its page is, its status and deadlines, and the actions its status allows. Pure. */
export function SessionCard({
  session: s,
  tenantName,
  now,
  thumbnail,
  screenshot,
  onHideScreenshot,
  actions,
  feedback,
}: {
  session: SessionView;
  tenantName: string;
  now: number;
  thumbnail: ReactNode;
  /** The PNG of the last screenshot taken from this console, shown large until hidden. */
  screenshot: string | null;
  onHideScreenshot(): void;
  actions: SessionCardActions;
  feedback: Feedback | null;
}) {
  const [confirming, setConfirming] = useState(false);
  const [url, setUrl] = useState('');
  const live = SESSION_STATUS_TABLE[s.status].live;
  const busy = actions.pending !== null;
  const actionable = s.status === 'ready';

  function navigate(event: FormEvent) {
    event.preventDefault();
    if (url.trim()) actions.onNavigate(url.trim());
  }

  return (
    <article
      aria-labelledby={`session-${s.id}-title`}
      data-testid={`session-${s.id}`}
      className="flex min-w-0 flex-col rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <header className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 id={`session-${s.id}-title`} className="truncate font-semibold" title={s.title ?? undefined}>
            {s.title || s.startUrl}
          </h2>
          <p className="truncate font-mono text-xs text-slate-500" title={s.currentUrl ?? s.startUrl}>
            {s.currentUrl ?? s.startUrl}
          </p>
        </div>
        <SessionStatusBadge status={s.status} />
      </header>

      <div className="mt-3 aspect-video overflow-hidden rounded-md border border-slate-200 bg-slate-100">{thumbnail}</div>

      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Tenant</dt>
        <dd className="truncate" title={s.tenantId}>
          {tenantName}
        </dd>
        <dt className="text-slate-500">Instance</dt>
        <dd className="truncate font-mono text-xs leading-5" title={s.ownerInstanceId}>
          {s.ownerInstanceId}
        </dd>
        <dt className="text-slate-500">Created</dt>
        <dd title={formatExact(s.createdAt)}>{formatRelative(s.createdAt, now)}</dd>
        <dt className="text-slate-500">Last activity</dt>
        <dd title={formatExact(s.lastActivityAt)}>{formatRelative(s.lastActivityAt, now)}</dd>
        {live ? (
          <>
            <dt className="text-slate-500">Idle timeout in</dt>
            <dd className="tabular-nums" data-testid="idle-countdown" title={`${formatDuration(s.idleTimeoutMs)} after the last activity`}>
              {countdown(s.idleExpiresAt, now)}
            </dd>
            <dt className="text-slate-500">Lifetime ends in</dt>
            <dd className="tabular-nums" data-testid="lifetime-countdown" title={`${formatDuration(s.maxLifetimeMs)} after creation`}>
              {countdown(s.lifetimeExpiresAt, now)}
            </dd>
          </>
        ) : (
          <>
            <dt className="text-slate-500">Ended</dt>
            <dd title={formatExact(s.closedAt)}>
              {formatRelative(s.closedAt, now)}
              {s.closeReason ? ` · ${CLOSE_REASON_LABELS[s.closeReason]}` : ''}
            </dd>
          </>
        )}
        {s.blockedRequests > 0 ? (
          <>
            <dt className="text-slate-500">Blocked requests</dt>
            <dd className="tabular-nums" title="Requests of the page refused by the outbound policy">
              {s.blockedRequests}
            </dd>
          </>
        ) : null}
      </dl>

      {s.error ? <p className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm break-words text-red-800">{s.error}</p> : null}

      {screenshot ? (
        <figure className="mt-3">
          <img src={screenshot} alt={`Screenshot of ${s.currentUrl ?? s.startUrl}`} className="w-full rounded-md border border-slate-200" />
          <figcaption className="mt-1 flex justify-between text-xs text-slate-500">
            <span>Full-size screenshot (PNG)</span>
            <button type="button" onClick={onHideScreenshot} className="underline">
              Hide
            </button>
          </figcaption>
        </figure>
      ) : null}

      <div className="mt-auto space-y-2 pt-4">
        {actionable && actions.canControl ? (
          <form onSubmit={navigate} className="flex gap-2">
            <label className="sr-only" htmlFor={`navigate-${s.id}`}>
              URL to open
            </label>
            <input
              id={`navigate-${s.id}`}
              type="url"
              required
              placeholder="https://…"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              className="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 text-sm"
            />
            <button
              type="submit"
              disabled={busy}
              className="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-50 disabled:opacity-50"
            >
              {actions.pending === 'navigate' ? 'Opening…' : 'Go'}
            </button>
          </form>
        ) : null}
        {actionable ? (
          <div className="flex flex-wrap gap-2">
            <button
              type="button"
              onClick={actions.onScreenshot}
              disabled={busy}
              title="Counts as activity: resets the idle timeout"
              className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50 disabled:opacity-50"
            >
              {actions.pending === 'screenshot' ? 'Capturing…' : 'Screenshot'}
            </button>
            {actions.canControl ? (
              <button
                type="button"
                onClick={() => setConfirming(true)}
                disabled={busy}
                className="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-50"
              >
                {actions.pending === 'close' ? 'Closing…' : 'Close'}
              </button>
            ) : null}
            <ConfirmDialog
              open={confirming}
              title="Close this session?"
              confirmLabel="Close it"
              onCancel={() => setConfirming(false)}
              onConfirm={() => {
                setConfirming(false);
                actions.onClose();
              }}
            >
              Its pages close at once; it stays in the list as closed.
            </ConfirmDialog>
          </div>
        ) : null}
        {feedback ? (
          <p role="status" className={`text-sm ${feedback.tone === 'error' ? 'text-red-700' : feedback.tone === 'ok' ? 'text-emerald-700' : 'text-slate-600'}`}>
            {feedback.text}
          </p>
        ) : null}
      </div>
    </article>
  );
}
