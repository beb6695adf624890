import 'server-only';
export const AUTOMATION_STATES = ['active', 'degraded', 'idle', 'paused', 'running'] as const;
export type AutomationState = (typeof AUTOMATION_STATES)[number];

export interface StateInput {
  /** A run of this automation is in flight on some instance. */
  running: boolean;
  /** The pause record is set (and not past its `until`). */
  paused: boolean;
  /** The last completed run failed or was abandoned. */
  lastRunFailed: boolean;
  /** A dependency the automation needs is unavailable now (lock store, browser). */
  dependencyDown: boolean;
  /** A scheduled run is overdue (see {@link isOverdue}). */
  overdue: boolean;
  /** The automation has a schedule and at least one live instance runs a scheduler. */
  scheduled: boolean;
}

/**
 * The state of an automation, by precedence: running, paused, degraded, idle, active (DESIGN §4.2).
 * Pure: everything it needs is in the input.
 */
export function deriveState(input: StateInput): AutomationState {
  if (input.running) return 'running';
  if (input.paused) return 'paused';
  if (input.lastRunFailed || input.dependencyDown || input.overdue) return 'degraded';
  if (!input.scheduled) return 'idle';
  return 'active';
}

export interface OverdueInput {
  now: number;
  /** The fire time before which the last scheduled slot should have run: the latest fire time ≤ now − grace. */
  expectedSlot: number;
  /** Start of the most recent scheduled run, or null. */
  lastScheduledStart: number | null;
  /** Since when a scheduler has been running without interruption (earliest live scheduler's start). */
  schedulingSince: number | null;
  /** When the pause ended last (resume time), or null; a slot that fell inside a pause is not owed. */
  resumedAt: number | null;
}

/**
 * A scheduled automation is overdue when a slot that should have started (one interval plus a grace ago) has
 * no run, although a scheduler was running at that time and the automation was not paused.
 */
export function isOverdue(input: OverdueInput): boolean {
  if (input.schedulingSince === null) return false;
  if (input.expectedSlot < input.schedulingSince) return false;
  if (input.resumedAt !== null && input.expectedSlot < input.resumedAt) return false;
  // Clocks of instances differ a little; a run that started shortly before the slot counts for it.
  return input.lastScheduledStart === null || input.lastScheduledStart < input.expectedSlot - 1000;
}
