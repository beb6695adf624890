import { describe, expect, it } from 'vitest';
import { compare, judge } from './alert-condition';
import type { Operator } from '../../shared/alert-metrics';

describe('compare: one truth table per operator (threshold 90)', () => {
  // value below, equal to, and above the threshold
  const table: Record<Operator, [below: boolean, equal: boolean, above: boolean]> = {
    '>': [false, false, true],
    '>=': [false, true, true],
    '<': [true, false, false],
    '<=': [true, true, false],
    '==': [false, true, false],
    '!=': [true, false, true],
  };
  for (const [operator, [below, equal, above]] of Object.entries(table) as Array<[Operator, [boolean, boolean, boolean]]>) {
    it(`${operator}: 89 → ${below}, 90 → ${equal}, 91 → ${above}`, () => {
      expect(compare(89, operator, 90)).toBe(below);
      expect(compare(90, operator, 90)).toBe(equal);
      expect(compare(91, operator, 90)).toBe(above);
    });
  }

  it('handles fractional and negative values without rounding', () => {
    expect(compare(90.0001, '>', 90)).toBe(true);
    expect(compare(-1, '<', 0)).toBe(true);
    expect(compare(0.5, '==', 0.5)).toBe(true);
  });
});

describe('judge', () => {
  it('a KV-cache rule "> 90" fires at 91 % and not at 90 % (percentages are percentages)', () => {
    const rule = { operator: '>', threshold: 90, noData: 'keep' } as const;
    expect(judge(rule, 91)).toEqual({ kind: 'breaching', value: 91 });
    expect(judge(rule, 90)).toEqual({ kind: 'ok', value: 90, noData: false });
  });

  it('no data: ok resolves, alerting breaches with no value, keep leaves the state', () => {
    const base = { operator: '>', threshold: 1 } as const;
    expect(judge({ ...base, noData: 'ok' }, null)).toEqual({ kind: 'ok', value: null, noData: true });
    expect(judge({ ...base, noData: 'alerting' }, null)).toEqual({ kind: 'breaching', value: null });
    expect(judge({ ...base, noData: 'keep' }, null)).toEqual({ kind: 'keep' });
  });

  it('no-data mode does not apply when there is data', () => {
    for (const noData of ['ok', 'alerting', 'keep'] as const) {
      expect(judge({ operator: '<', threshold: 1, noData }, 1).kind).toBe('ok');
    }
  });
});
