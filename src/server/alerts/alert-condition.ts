import type { Aggregation, NoDataMode, Operator } from './alert-metrics';

/** What the samples of one server said over one rule's window. `samples` counts non-null values only. */
export interface WindowAggregate {
  samples: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
}

/** The verdict for one (rule, server): breaching, fine, or "leave the incident state as it is" (noData `keep`). */
export type Verdict =
  | { kind: 'breaching'; value: number | null }
  | { kind: 'ok'; value: number | null; noData: boolean }
  | { kind: 'keep' };

export function compare(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    // Exact comparison on purpose: rules on counts (`requestsWaiting == 0`) and on `up` are exact; a rule on a
    // measured float should use an inequality.
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
    default: {
      const never: never = operator;
      throw new Error(`unknown operator ${String(never)}`);
    }
  }
}

export function aggregatedValue(aggregate: WindowAggregate, aggregation: Aggregation): number | null {
  switch (aggregation) {
    case 'avg':
      return aggregate.avg;
    case 'max':
      return aggregate.max;
    case 'min':
      return aggregate.min;
    case 'last':
      return aggregate.last;
    default: {
      const never: never = aggregation;
      throw new Error(`unknown aggregation ${String(never)}`);
    }
  }
}

export interface Condition {
  aggregation: Aggregation;
  operator: Operator;
  threshold: number;
  noData: NoDataMode;
}

/** One rule against one server's window. Pure, so the truth tables are tested without a database. */
export function judge(condition: Condition, aggregate: WindowAggregate): Verdict {
  const value = aggregate.samples > 0 ? aggregatedValue(aggregate, condition.aggregation) : null;
  if (value === null) {
    switch (condition.noData) {
      case 'ok':
        return { kind: 'ok', value: null, noData: true };
      case 'alerting':
        return { kind: 'breaching', value: null };
      case 'keep':
        return { kind: 'keep' };
      default: {
        const never: never = condition.noData;
        throw new Error(`unknown noData mode ${String(never)}`);
      }
    }
  }
  return compare(value, condition.operator, condition.threshold) ? { kind: 'breaching', value } : { kind: 'ok', value, noData: false };
}
