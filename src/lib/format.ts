/** Formatting for people: durations, relative times, metric values. */

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

export function formatRelative(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const delta = Date.parse(iso) - now;
  const abs = Math.abs(delta);
  const text =
    abs < 1500
      ? 'now'
      : abs < 60_000
        ? `${Math.round(abs / 1000)} s`
        : abs < 3_600_000
          ? `${Math.round(abs / 60_000)} min`
          : abs < 86_400_000
            ? `${Math.round(abs / 3_600_000)} h`
            : `${Math.round(abs / 86_400_000)} d`;
  if (text === 'now') return 'just now';
  return delta < 0 ? `${text} ago` : `in ${text}`;
}

export function formatExact(iso: string | null): string | undefined {
  return iso === null ? undefined : new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatMetricValue(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number') return value.toLocaleString();
  return value;
}

const METRIC_LABELS: Record<string, string> = {
  firedCount: 'Rules fired',
  lockProvider: 'Lock provider',
  pendingAsyncTasks: 'Pending async tasks',
  processedTenants: 'Tenants processed',
  dueServers: 'Servers polled',
  browserConnected: 'Browser connected',
  liveSessions: 'Live sessions',
  shuttingDown: 'Shutting down',
  sessionsReconciled: 'Sessions reconciled',
  tenantsScanned: 'Tenants scanned',
};

export function metricLabel(key: string): string {
  return METRIC_LABELS[key] ?? key;
}

/** A wall-clock time in UTC with its zone, for feedback that says when it happened: "12:01:07 UTC". */
export function formatClockUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}
