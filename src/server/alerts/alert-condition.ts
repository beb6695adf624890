import 'server-only';
import type { NoDataMode, Operator } from '../../shared/alert-metrics';

/** The verdict for one (rule, server): breaching, fine, or "leave the incident state as it is" (noData `keep`). */
export type Verdict = { kind: 'breaching'; value: number | null } | { kind: 'ok'; value: number | null; noData: boolean } | { kind: 'keep' };

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

export interface Condition {
  operator: Operator;
  threshold: number;
  noData: NoDataMode;
}

/**
 * One rule against one server's window, given the rule's aggregation of it (null: no usable sample in the window).
 * Pure, so the truth tables are tested without a database.
 */
export function judge(condition: Condition, value: number | null): Verdict {
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
