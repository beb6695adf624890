import type { AutomationState } from '@/server/automations/state';
import { Badge } from '@/components/ui/badge';

/** One table for every state: its label, colours and which controls make sense in it. */
export const STATE_TABLE: Record<AutomationState, { label: string; className: string; dot: string; help: string }> = {
  running: {
    label: 'Running',
    className: 'bg-sky-100 text-sky-800 ring-sky-600/20',
    dot: 'bg-sky-500 animate-pulse',
    help: 'A run is in flight on some instance',
  },
  paused: {
    label: 'Paused',
    className: 'bg-amber-100 text-amber-900 ring-amber-600/20',
    dot: 'bg-amber-500',
    help: 'Scheduled ticks are skipped until resumed',
  },
  degraded: {
    label: 'Degraded',
    className: 'bg-red-100 text-red-800 ring-red-600/20',
    dot: 'bg-red-500',
    help: 'The last run failed, a dependency is down, or a run is overdue',
  },
  idle: { label: 'Idle', className: 'bg-slate-100 text-slate-700 ring-slate-500/20', dot: 'bg-slate-400', help: 'Runs only when asked' },
  active: { label: 'Active', className: 'bg-emerald-100 text-emerald-800 ring-emerald-600/20', dot: 'bg-emerald-500', help: 'Scheduled and healthy' },
};

export function StateBadge({ state }: { state: AutomationState }) {
  return <Badge entry={STATE_TABLE[state]} testId="state-badge" valueAttribute="state" value={state} />;
}
