import { describe, expect, it } from 'vitest';
import { assertValidCron, cadenceLabel, fixedIntervalMs, longestGapMs, nextFireTime, previousFireTime } from './schedule';

const at = (iso: string) => Date.parse(iso);

describe('cadenceLabel', () => {
  it.each([
    ['*/30 * * * * *', 'Every 30s'],
    ['* * * * * *', 'Every 1s'],
    ['0 */5 * * * *', 'Every 5m'],
    ['*/5 * * * *', 'Every 5m'],
    ['0 0 */2 * * *', 'Every 2h'],
    ['*/7 * * * * *', '*/7 * * * * *'],
    ['0 30 9 * * 1-5', '0 30 9 * * 1-5'],
  ])('labels %s as "%s"', (expression, label) => {
    expect(cadenceLabel(expression)).toBe(label);
  });

  it('labels an automation without a schedule as manual maintenance', () => {
    expect(cadenceLabel(null)).toBe('Manual maintenance');
  });
});

describe('fixedIntervalMs', () => {
  it.each([
    ['*/30 * * * * *', 30_000],
    ['0/15 * * * * *', 15_000],
    ['0 * * * * *', 60_000],
    ['30 */5 * * * *', 300_000],
    ['*/10 * * * *', 600_000],
    ['0 0 * * * *', 3_600_000],
    ['0 0 */6 * * *', 21_600_000],
  ])('is fixed for %s', (expression, interval) => {
    expect(fixedIntervalMs(expression)).toBe(interval);
  });

  it.each([
    // Steps that do not divide their unit leave a shorter gap at the wrap (…:56 → :00).
    '*/7 * * * * *',
    '0 */7 * * * *',
    '0 0 */5 * * *',
    // Restricted days, or a second step confined to some minutes or hours.
    '0 30 9 * * 1-5',
    '0 0 0 1 * *',
    '* */5 * * * *',
    '*/30 * 9 * * *',
  ])('is null for the irregular %s', (expression) => {
    expect(fixedIntervalMs(expression)).toBeNull();
  });
});

describe('longestGapMs', () => {
  it('finds the longest gap of an irregular schedule', () => {
    expect(longestGapMs('0 0 */5 * * *', at('2024-01-01T00:00:00Z'))).toBe(5 * 3_600_000);
  });
});

describe('nextFireTime', () => {
  it('gives the first fire time strictly after the given time', () => {
    expect(nextFireTime('*/30 * * * * *', at('2024-01-01T12:00:10Z'))).toBe(at('2024-01-01T12:00:30Z'));
    expect(nextFireTime('*/30 * * * * *', at('2024-01-01T12:00:29.500Z'))).toBe(at('2024-01-01T12:00:30Z'));
    expect(nextFireTime('*/30 * * * * *', at('2024-01-01T12:00:30Z'))).toBe(at('2024-01-01T12:01:00Z'));
  });

  it('evaluates five-field expressions in UTC with zero seconds', () => {
    // Friday 10:00 UTC → the next weekday 09:00 is Monday.
    expect(nextFireTime('0 9 * * 1-5', at('2024-01-05T10:00:00Z'))).toBe(at('2024-01-08T09:00:00Z'));
  });
});

describe('previousFireTime', () => {
  it('gives the last fire time at or before the given time', () => {
    expect(previousFireTime('*/30 * * * * *', at('2024-01-01T12:00:30Z'))).toBe(at('2024-01-01T12:00:30Z'));
    expect(previousFireTime('*/30 * * * * *', at('2024-01-01T12:00:30.500Z'))).toBe(at('2024-01-01T12:00:30Z'));
    expect(previousFireTime('*/30 * * * * *', at('2024-01-01T12:00:29.999Z'))).toBe(at('2024-01-01T12:00:00Z'));
  });

  it('skips days the schedule excludes', () => {
    // Sunday noon → the last weekday 09:30 was Friday.
    expect(previousFireTime('0 30 9 * * 1-5', at('2024-01-07T12:00:00Z'))).toBe(at('2024-01-05T09:30:00Z'));
  });
});

describe('assertValidCron', () => {
  it.each(['*/30 * * * * *', '*/5 * * * *', '0 30 9 * * 1-5', '  0 0 */2 * * *  '])('accepts %s', (expression) => {
    expect(() => assertValidCron(expression)).not.toThrow();
  });

  it.each([
    ['not a cron', /expected 5 or 6 fields, got 3/],
    ['* * * *', /expected 5 or 6 fields, got 4/],
    ['* * * * * * *', /expected 5 or 6 fields, got 7/],
    ['61 * * * * *', /"61 \* \* \* \* \*" is not a valid cron expression/],
    ['a b c d e', /is not a valid cron expression/],
    ['*/0 * * * * *', /is not a valid cron expression/],
  ])('rejects %s with a message naming the problem', (expression, message) => {
    expect(() => assertValidCron(expression)).toThrow(message);
  });
});
