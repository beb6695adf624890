'use client';
import { trpc } from '@/lib/trpc';

/** How often the badge asks again; the count is one indexed query, so a few seconds is cheap. */
const POLL_MS = 5_000;

/**
 * A small count of unresolved incidents for the navigation: red with the number of unacknowledged ones, amber
 * when all are acknowledged, nothing when there are none. Kept live by polling `alerts.openCount`.
 */
export function IncidentBadge() {
  const count = trpc.alerts.openCount.useQuery(undefined, { refetchInterval: POLL_MS, refetchIntervalInBackground: false });
  if (!count.data) return null;
  const { open, acknowledged } = count.data;
  if (open + acknowledged === 0) return null;
  const label = `${open} open, ${acknowledged} acknowledged incident${open + acknowledged === 1 ? '' : 's'}`;
  return (
    <span
      role="status"
      aria-label={label}
      title={label}
      data-testid="incident-badge"
      className={`ml-1 inline-flex min-w-5 items-center justify-center rounded-full px-1.5 text-xs font-semibold tabular-nums ${open > 0 ? 'bg-red-600 text-[#fff]' : 'bg-amber-200 text-amber-900'}`}
    >
      {open > 0 ? open : acknowledged}
    </span>
  );
}
