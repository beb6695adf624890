import type { SessionCloseReason, SessionStatus } from '@/server/browser/browser.schemas';
import { Badge } from '@/components/ui/badge';

/** One table for every session status: label, colours, what it means, and whether the session can be acted on. */
export const SESSION_STATUS_TABLE: Record<SessionStatus, { label: string; className: string; dot: string; help: string; live: boolean }> = {
  starting: {
    label: 'Starting',
    className: 'bg-sky-100 text-sky-800 ring-sky-600/20',
    dot: 'bg-sky-500 animate-pulse',
    help: 'Loading its start URL',
    live: true,
  },
  ready: {
    label: 'Ready',
    className: 'bg-emerald-100 text-emerald-800 ring-emerald-600/20',
    dot: 'bg-emerald-500',
    help: 'Open in its instance’s browser',
    live: true,
  },
  closed: {
    label: 'Closed',
    className: 'bg-slate-100 text-slate-700 ring-slate-500/20',
    dot: 'bg-slate-400',
    help: 'Closed on request or at shutdown',
    live: false,
  },
  expired: {
    label: 'Expired',
    className: 'bg-amber-100 text-amber-900 ring-amber-600/20',
    dot: 'bg-amber-500',
    help: 'Closed by the reaper: idle too long or past its lifetime',
    live: false,
  },
  orphaned: {
    label: 'Orphaned',
    className: 'bg-violet-100 text-violet-800 ring-violet-600/20',
    dot: 'bg-violet-500',
    help: 'Reconciled: no runtime held it any more',
    live: false,
  },
  error: {
    label: 'Error',
    className: 'bg-red-100 text-red-800 ring-red-600/20',
    dot: 'bg-red-500',
    help: 'Its page failed to load or its browser crashed',
    live: false,
  },
};

export const CLOSE_REASON_LABELS: Record<SessionCloseReason, string> = {
  requested: 'closed on request',
  'idle-timeout': 'idle timeout',
  'max-lifetime': 'max lifetime reached',
  shutdown: 'instance shut down',
  'browser-crashed': 'browser crashed',
  'runtime-lost': 'runtime no longer held it',
  'owner-lapsed': 'owner instance gone',
  'load-failed': 'start URL failed to load',
};

export function SessionStatusBadge({ status }: { status: SessionStatus }) {
  return <Badge entry={SESSION_STATUS_TABLE[status]} testId="session-status" valueAttribute="status" value={status} />;
}
