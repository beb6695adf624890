import 'server-only';
import type { AutomationDefinition } from './definition';
import { alertEvaluation } from './definitions/alert-evaluation';
import { browserSessionReaper } from './definitions/browser-session-reaper';
import { browserSessionReconciliation } from './definitions/browser-session-reconciliation';
import { inferenceMonitoringPoll } from './definitions/inference-monitoring-poll';

/** The four automations, in the order the client API lists them. */
export const AUTOMATIONS = [browserSessionReaper, browserSessionReconciliation, inferenceMonitoringPoll, alertEvaluation] as const;

export type AutomationKey = (typeof AUTOMATIONS)[number]['key'];

/** Lower-case letters and digits in groups joined by single dashes, at most 64 characters. */
export const KEY_PATTERN = /^(?=.{1,64}$)[a-z0-9]+(-[a-z0-9]+)*$/;

export function findDefinition(key: string): AutomationDefinition | undefined {
  return AUTOMATIONS.find((d) => d.key === key);
}
