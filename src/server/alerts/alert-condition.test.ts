import { describe, expect, it } from 'vitest';
import { type WindowAggregate, aggregatedValue, compare, judge } from './alert-condition';
import { AGGREGATIONS, type Operator } from './alert-metrics';

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

describe('aggregatedValue picks the aggregation', () => {
  const aggregate: WindowAggregate = { samples: 3, avg: 50, min: 10, max: 95, last: 45 };
  const expected = { avg: 50, max: 95, min: 10, last: 45 } as const;
  for (const aggregation of AGGREGATIONS) {
    it(aggregation, () => expect(aggregatedValue(aggregate, aggregation)).toBe(expected[aggregation]));
  }
});

describe('judge', () => {
  const windowOf = (values: number[]): WindowAggregate =>
    values.length === 0
      ? { samples: 0, avg: null, min: null, max: null, last: null }
      : {
          samples: values.length,
          avg: values.reduce((a, b) => a + b, 0) / values.length,
          min: Math.min(...values),
          max: Math.max(...values),
          last: values[values.length - 1] ?? null,
        };

  it('a KV-cache rule "> 90" fires at 91 % and not at 90 % (percentages are percentages)', () => {
    const rule = { aggregation: 'last', operator: '>', threshold: 90, noData: 'keep' } as const;
    expect(judge(rule, windowOf([40, 91]))).toEqual({ kind: 'breaching', value: 91 });
    expect(judge(rule, windowOf([95, 90]))).toEqual({ kind: 'ok', value: 90, noData: false });
  });

  it('the same window breaches or not depending on the aggregation', () => {
    const samples = windowOf([20, 95, 30]); // avg 48.3, max 95, min 20, last 30
    const verdict = (aggregation: (typeof AGGREGATIONS)[number]) => judge({ aggregation, operator: '>', threshold: 50, noData: 'ok' }, samples).kind;
    expect(verdict('avg')).toBe('ok');
    expect(verdict('max')).toBe('breaching');
    expect(verdict('min')).toBe('ok');
    expect(verdict('last')).toBe('ok');
  });

  it('no data: ok resolves, alerting breaches with no value, keep leaves the state', () => {
    const empty = windowOf([]);
    const base = { aggregation: 'avg', operator: '>', threshold: 1 } as const;
    expect(judge({ ...base, noData: 'ok' }, empty)).toEqual({ kind: 'ok', value: null, noData: true });
    expect(judge({ ...base, noData: 'alerting' }, empty)).toEqual({ kind: 'breaching', value: null });
    expect(judge({ ...base, noData: 'keep' }, empty)).toEqual({ kind: 'keep' });
  });

  it('no-data mode does not apply when there is data', () => {
    for (const noData of ['ok', 'alerting', 'keep'] as const) {
      expect(judge({ aggregation: 'avg', operator: '<', threshold: 1, noData }, windowOf([1, 1])).kind).toBe('ok');
    }
  });
});
