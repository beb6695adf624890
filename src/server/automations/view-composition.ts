import 'server-only';
import type { InstanceView } from '../coordination/instance-registry';
import type { AutomationView } from './automation.schemas';
import type { AutomationDefinition, DomainPorts, Metrics, PeerInstance } from './definition';
import type { PauseRecord } from './pause.repository';
import type { RunSummary } from './run.repository';
import { cadenceLabel, nextFireTime, previousFireTime } from './schedule';
import { deriveState, isOverdue } from './state';

/** A scheduled slot is owed once it is this much in the past. */
export const OVERDUE_GRACE_MS = 10_000;

/** What every view of this instance is composed with, besides its inputs. */
export interface CompositionContext {
  ports: DomainPorts;
  lockKind: 'redis' | 'local';
  /** The lock store's problem now, or null. */
  lockProblem(): string | null;
  schedules: Record<string, string | null>;
  instanceId: string;
  fireTimes: FireTimes;
}

/** One automation's inputs, as the view cache read them. */
export interface ViewInputs {
  now: number;
  pause: PauseRecord | null;
  summary: RunSummary;
  liveMetrics: Metrics;
  live: InstanceView[];
  schedulingSince: number | null;
  lapsed: { id: string; heartbeatAt: number } | null;
}

/** The view of one automation (DESIGN §4.1, §4.2): a pure function of its definition, its inputs and the clock. */
export function composeView(definition: AutomationDefinition, input: ViewInputs, ctx: CompositionContext): AutomationView {
  const { now, pause, summary } = input;
  const schedule = ctx.schedules[definition.key] ?? null;
  const paused = pause?.paused ?? false;
  const scheduled = schedule !== null && input.schedulingSince !== null;
  const lastFinished = summary.lastFinished;
  const lastRunFailed = lastFinished !== null && lastFinished.outcome !== 'succeeded';
  const peers = peersOf(input.live, ctx.instanceId);

  const dependencyProblem = ctx.lockProblem() ?? definition.dependencyProblem?.(ctx.ports, peers) ?? null;
  let overdue: string | null = null;
  if (schedule !== null && scheduled && !paused) {
    const expectedSlot = ctx.fireTimes.previous(schedule, now - OVERDUE_GRACE_MS);
    const lastActivity = Math.max(summary.lastScheduledStart ?? 0, lastFinished?.finishedAt ?? 0) || null;
    if (isOverdue({ now, expectedSlot, lastScheduledStart: lastActivity, schedulingSince: input.schedulingSince, resumedAt: pause?.resumedAt ?? null })) {
      overdue = `Overdue: the run scheduled for ${new Date(expectedSlot).toISOString()} has not started`;
    }
  } else if (schedule !== null && !paused && input.lapsed) {
    overdue = `Overdue: no live instance runs the scheduler; ${input.lapsed.id} stopped beating at ${new Date(input.lapsed.heartbeatAt).toISOString()}`;
  }
  const running = summary.running.length > 0;
  const state = deriveState({ running, paused, lastRunFailed, dependencyDown: dependencyProblem !== null, overdue: overdue !== null, scheduled });

  const lastError = dependencyProblem ?? (lastRunFailed ? (lastFinished?.error ?? 'Run failed') : null) ?? overdue;

  return {
    key: definition.key,
    name: definition.name,
    description: definition.description,
    domain: definition.domain,
    cadenceLabel: cadenceLabel(schedule),
    distributed: ctx.lockKind === 'redis' && definition.scope === 'cluster',
    metrics: composeMetrics(definition, summary, input.liveMetrics, peers, ctx),
    state,
    supportsPause: definition.supportsPause,
    supportsTrigger: definition.supportsTrigger,
    lastStartedAt: iso(summary.latest?.startedAt ?? null),
    lastCompletedAt: iso(lastFinished?.finishedAt ?? null),
    lastDurationMs: lastFinished?.durationMs ?? null,
    lastError,
    schedule,
    nextRunAt: schedule !== null && scheduled && !paused ? iso(ctx.fireTimes.next(schedule, now)) : null,
    pausedAt: paused ? iso(pause?.pausedAt ?? null) : null,
    pausedBy: paused ? (pause?.pausedBy ?? null) : null,
    pauseReason: paused ? (pause?.reason ?? null) : null,
    pausedUntil: paused ? iso(pause?.until ?? null) : null,
    lastRun: summary.latest
      ? { id: summary.latest.id, trigger: summary.latest.trigger, outcome: summary.latest.outcome, instanceId: summary.latest.instanceId }
      : null,
    consecutiveFailures: summary.consecutiveFailures,
    runningOn: [...new Set(summary.running.map((r) => r.instanceId))],
  };
}

/** Exactly the spec's keys: defaults, then the last run's values, then live values; then the definition's aggregate. */
function composeMetrics(definition: AutomationDefinition, summary: RunSummary, liveMetrics: Metrics, peers: PeerInstance[], ctx: CompositionContext): Metrics {
  const recorded = summary.lastWithMetrics?.metrics ?? {};
  const metrics: Metrics = {};
  for (const key of definition.metricKeys) {
    const value = liveMetrics[key] ?? recorded[key];
    metrics[key] = value ?? defaultMetric(key);
  }
  if ('lockProvider' in metrics) metrics.lockProvider = ctx.lockKind;
  return definition.aggregate ? definition.aggregate(metrics, ctx.ports, peers) : metrics;
}

/** The other live instances, as the definitions see them. */
function peersOf(live: InstanceView[], instanceId: string): PeerInstance[] {
  return live.filter((i) => i.id !== instanceId).map((i) => (i.stats.browser ? { id: i.id, browser: i.stats.browser } : { id: i.id }));
}

/**
 * Fire times of the schedules, remembered: between two slots every question has the same answer, and parsing a
 * cron expression costs more than the rest of a view. A span [from, to) holds the last fire time at or before a
 * moment and the first one after it.
 */
export class FireTimes {
  private readonly spans = new Map<string, Array<{ from: number; to: number }>>();

  /** The last fire time at or before `at`. */
  previous(schedule: string, at: number): number {
    return this.span(schedule, at).from;
  }

  /** The first fire time strictly after `after`. */
  next(schedule: string, after: number): number {
    return this.span(schedule, after).to;
  }

  private span(schedule: string, at: number): { from: number; to: number } {
    const known = this.spans.get(schedule) ?? [];
    const hit = known.find((s) => s.from <= at && at < s.to);
    if (hit) return hit;
    const span = { from: previousFireTime(schedule, at), to: nextFireTime(schedule, at) };
    // Views ask about two moments (now, and now less the overdue grace): a few spans per schedule suffice.
    this.spans.set(schedule, [span, ...known].slice(0, 4));
    return span;
  }
}

/** A pause whose `until` passed since its record was read is over (as the repository would say if read now). */
export function effectivePause(pause: PauseRecord | null, now: number): PauseRecord | null {
  if (!pause?.paused || pause.until === null || pause.until > now) return pause;
  return { ...pause, paused: false, resumedAt: pause.until, resumedBy: 'schedule:until' };
}

function defaultMetric(key: string): string | number | boolean {
  if (key === 'lockProvider') return 'local';
  if (key === 'browserConnected' || key === 'shuttingDown') return false;
  return 0;
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
