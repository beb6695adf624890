import 'server-only';
import { CronExpressionParser } from 'cron-parser';

/** Schedules are evaluated in UTC on every instance, so all instances agree on slot times. */
export const SCHEDULE_TIMEZONE = 'Etc/UTC';

/** Six fields with seconds first; a five-field expression gets "0" seconds. */
export function normalizeCron(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  return fields.length === 5 ? ['0', ...fields].join(' ') : fields.join(' ');
}

/** Throws an Error naming the problem when the expression is not a valid cron schedule. */
export function assertValidCron(expression: string): void {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new Error(`"${expression}" is not a cron expression: expected 5 or 6 fields, got ${fields.length}`);
  }
  try {
    CronExpressionParser.parse(normalizeCron(expression), { tz: SCHEDULE_TIMEZONE, strict: false });
  } catch (error) {
    throw new Error(`"${expression}" is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The first fire time strictly after `after` (epoch ms). */
export function nextFireTime(expression: string, after: number): number {
  return CronExpressionParser.parse(normalizeCron(expression), { currentDate: new Date(after), tz: SCHEDULE_TIMEZONE })
    .next()
    .getTime();
}

/** The last fire time at or before `atOrBefore` (epoch ms). */
export function previousFireTime(expression: string, atOrBefore: number): number {
  return CronExpressionParser.parse(normalizeCron(expression), {
    currentDate: new Date(atOrBefore + 1),
    tz: SCHEDULE_TIMEZONE,
  })
    .prev()
    .getTime();
}

/**
 * The fixed interval of a simple schedule ("every N seconds/minutes/hours" that divides its unit evenly),
 * or null when the gaps between fire times vary.
 */
export function fixedIntervalMs(expression: string): number | null {
  const [sec, min, hour, dom, mon, dow] = normalizeCron(expression).split(' ');
  if (dom !== '*' || mon !== '*' || dow !== '*') return null;
  const step = (field: string | undefined, unit: number): number | null => {
    if (field === '*') return 1;
    const m = /^(?:\*|0)\/(\d+)$/.exec(field ?? '');
    if (!m) return null;
    const n = Number(m[1]);
    return n > 0 && n <= unit && unit % n === 0 ? n : null;
  };
  const isFixed = (field: string | undefined) => field !== undefined && /^\d+$/.test(field);
  const s = step(sec, 60);
  if (s !== null && min === '*' && hour === '*') return s * 1000;
  const m = step(min, 60);
  if (isFixed(sec) && m !== null && hour === '*') return m * 60_000;
  const h = step(hour, 24);
  if (isFixed(sec) && isFixed(min) && h !== null) return h * 3_600_000;
  return null;
}

/** "Every 30s", "Every 5m", "Every 2h", "Manual maintenance", or the expression itself when it is irregular. */
export function cadenceLabel(expression: string | null): string {
  if (expression === null) return 'Manual maintenance';
  const interval = fixedIntervalMs(expression);
  if (interval === null) return expression.trim();
  if (interval % 3_600_000 === 0) return `Every ${interval / 3_600_000}h`;
  if (interval % 60_000 === 0) return `Every ${interval / 60_000}m`;
  return `Every ${interval / 1000}s`;
}

/** The longest gap between consecutive fire times, sampled over the next few firings. */
export function longestGapMs(expression: string, from: number): number {
  const fixed = fixedIntervalMs(expression);
  if (fixed !== null) return fixed;
  let previous = nextFireTime(expression, from);
  let longest = 0;
  for (let i = 0; i < 8; i++) {
    const next = nextFireTime(expression, previous);
    longest = Math.max(longest, next - previous);
    previous = next;
  }
  return longest;
}
