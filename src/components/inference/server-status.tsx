import type { ServerView } from '@/server/inference/inference.schemas';
import { Badge } from '@/components/ui/badge';

export type DisplayStatus = ServerView['status'] | 'pending';

/** One table for every status a server card can show: label, colours, and what it means. */
export const SERVER_STATUS_TABLE: Record<DisplayStatus, { label: string; className: string; dot: string; help: string }> = {
  up: {
    label: 'Up',
    className: 'bg-emerald-100 text-emerald-800 ring-emerald-600/20',
    dot: 'bg-emerald-500',
    help: 'The last poll reached the server and it answered healthy',
  },
  down: {
    label: 'Down',
    className: 'bg-red-100 text-red-800 ring-red-600/20',
    dot: 'bg-red-500',
    help: 'The last poll failed; the reason is shown on the card',
  },
  disabled: { label: 'Disabled', className: 'bg-slate-100 text-slate-700 ring-slate-500/20', dot: 'bg-slate-400', help: 'Not polled until enabled again' },
  pending: {
    label: 'Awaiting first poll',
    className: 'bg-sky-100 text-sky-800 ring-sky-600/20',
    dot: 'bg-sky-500 animate-pulse',
    help: 'Polled by the next run of the inference poll',
  },
};

/** "pending" when an enabled server has not been polled since it was created, re-enabled or reconfigured. */
export function displayStatus(server: Pick<ServerView, 'status' | 'enabled' | 'lastPolledAt'>): DisplayStatus {
  return server.enabled && server.lastPolledAt === null ? 'pending' : server.status;
}

export function ServerStatusBadge({ status }: { status: DisplayStatus }) {
  return <Badge entry={SERVER_STATUS_TABLE[status]} testId="server-status" valueAttribute="status" value={status} />;
}
