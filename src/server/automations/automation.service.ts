import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log';
import type { ChangeBus, Envelope } from '../coordination/change-bus';
import type { InstanceRegistry, InstanceView } from '../coordination/instance-registry';
import type { LockHealth } from '../coordination/lock-health';
import type { LockProvider } from '../coordination/lock-provider';
import type { RunTrigger } from '../db/schema';
import { AppError } from '../errors';
import { actorFor, mayReadPlatformNotes } from '../tenants/actor-redaction';
import { ALL_TENANTS, type TenantAccess } from '../tenants/tenant-access';
import type {
  AutomationView,
  PauseInput,
  RunNowResult,
  RunsQuery,
  RunView,
} from './automation.schemas';
import type { AutomationDefinition, DomainPorts, Metrics } from './definition';
import type { PauseRecord, PauseRepository } from './pause.repository';
import { AUTOMATIONS, KEY_PATTERN, findDefinition } from './registry';
import type { RunExecutor } from './run-executor';
import type { RunRecord, RunRepository, RunSummary } from './run.repository';
import { cadenceLabel, nextFireTime, previousFireTime } from './schedule';
import { deriveState, isOverdue } from './state';

/** A scheduled slot is owed once it is this much in the past. */
export const OVERDUE_GRACE_MS = 10_000;
/**
 * What the views are made of (pauses, instances, run summaries, live metrics) is read from the database again
 * after this long even when no change event came: other instances' heartbeats and queued notification deliveries
 * change without one. It matches the heartbeat interval, so instance data is as fresh as it can be.
 */
const INPUTS_TTL_MS = 5_000;
/** Views are recomposed from the cached inputs at most this often, for the fields that move with the clock. */
const VIEW_TTL_MS = 1_000;
/** Change reasons that touch one automation's run history only (not its pause record). */
const RUN_REASONS = new Set(['run-started', 'run-finished', 'run-abandoned']);
/** How long run-now of a per-instance automation waits for the other instances' replies. */
const FAN_OUT_WAIT_MS = 5_000;

export interface ServiceDeps {
  locks: LockProvider;
  lockHealth: LockHealth;
  bus: ChangeBus;
  instances: InstanceRegistry;
  pauses: PauseRepository;
  runs: RunRepository;
  executor: RunExecutor;
  audit: AuditLog;
  ports: DomainPorts;
  /** The cron in force per scheduled automation key (defaults with env overrides applied). */
  schedules: Record<string, string | null>;
  instanceId: string;
  now: () => number;
}

/** Who asked: recorded on runs, pauses and the audit log as `token:<name>` or `operator:<email>`. */
export interface Actor {
  label: string;
  trigger: Exclude<RunTrigger, 'schedule' | 'boot'>;
}

/**
 * The automations, as every surface sees them: list, get, run now, pause, resume, history. REST and tRPC call
 * these methods and only map their results.
 *
 * Reads are served from memory while nothing changed: the inputs of the views are cached and dropped by the
 * change events that concern them (a run of one automation drops that automation's run summary only; a pause,
 * resume or lock-store change drops its pause records too; an instance change drops the instance list), and read
 * again after {@link INPUTS_TTL_MS} at the latest. The views themselves are recomposed from those inputs at
 * request time at most every {@link VIEW_TTL_MS}, so countdowns and overdue detection follow the clock without a
 * database read. A view never outlives a change event: a read after one waits for the inputs it dropped.
 */
export class AutomationService {
  private readonly pauses: CachedInput<Map<string, PauseRecord>>;
  private readonly instances: CachedInput<InstanceInputs>;
  private readonly perKey = new Map<string, CachedInput<KeyInputs>>();
  /** Counts invalidations: a composition made across one may hold dropped inputs and is not kept. */
  private invalidations = 0;
  private composed: { views: AutomationView[]; at: number; invalidations: number; inputsExpireAt: number } | null = null;
  private readonly replies = new Map<string, (e: Extract<Envelope, { type: 'run-reply' }>) => void>();
  private readonly fireTimes = new FireTimes();
  /** A composed list as a tenant-restricted caller sees it, derived once per composition. */
  private readonly redactedLists = new WeakMap<AutomationView[], AutomationView[]>();

  constructor(private readonly deps: ServiceDeps) {
    this.pauses = new CachedInput((now) => deps.pauses.all(now));
    this.instances = new CachedInput(() => this.loadInstances());
    for (const definition of AUTOMATIONS) this.perKey.set(definition.key, new CachedInput((now) => this.loadKey(definition, now)));
    deps.bus.subscribe((event) => {
      if (event.type === 'automation') this.invalidateAutomation(event.key, RUN_REASONS.has(event.reason));
      else if (event.type === 'instances') this.invalidateInstances();
      else if (event.type === 'run-reply') this.replies.get(event.requestId)?.(event);
    });
  }

  /** Drops every cached input: the next read goes to the database. */
  invalidate(): void {
    this.invalidations++;
    this.pauses.invalidate();
    this.instances.invalidate();
    for (const input of this.perKey.values()) input.invalidate();
  }

  scheduleOf(definition: AutomationDefinition): string | null {
    return this.deps.schedules[definition.key] ?? null;
  }

  /**
   * Every automation's view, as `access` may see it: a tenant-restricted caller gets `pausedBy` reduced to the
   * actor's kind (`operator`, `token`) and `pauseReason` null — the fields stay, with the spec's types. The
   * redacted list is derived once per composed list, so the REST list's serialized-body cache keeps working.
   */
  async list(access: TenantAccess = ALL_TENANTS): Promise<AutomationView[]> {
    const views = await this.composedList();
    if (mayReadPlatformNotes(access)) return views;
    let redacted = this.redactedLists.get(views);
    if (redacted === undefined) {
      redacted = views.map((v) => ({ ...v, pausedBy: actorFor(access, v.pausedBy), pauseReason: null }));
      this.redactedLists.set(views, redacted);
    }
    return redacted;
  }

  private async composedList(): Promise<AutomationView[]> {
    const now = this.deps.now();
    const composed = this.composed;
    if (composed && composed.invalidations === this.invalidations && now - composed.at < VIEW_TTL_MS && now < composed.inputsExpireAt) {
      return composed.views;
    }
    const invalidations = this.invalidations;
    const [pauses, instances, ...perKey] = await Promise.all([
      this.pauses.get(now, INPUTS_TTL_MS),
      this.instances.get(now, INPUTS_TTL_MS),
      ...AUTOMATIONS.map((d) => this.keyInput(d.key).get(now, INPUTS_TTL_MS)),
    ]);
    const views = AUTOMATIONS.map((definition, i) => {
      const inputs = perKey[i] as KeyInputs;
      return this.composeView(definition, {
        now,
        pause: effectivePause(pauses.get(definition.key) ?? null, now),
        summary: inputs.summary,
        liveMetrics: inputs.liveMetrics,
        live: instances.live,
        schedulingSince: instances.schedulingSince,
        lapsed: instances.lapsed,
      });
    });
    // Inputs dropped while this composition awaited them may be stale: answer with it, but do not keep it.
    if (invalidations === this.invalidations) {
      const oldest = Math.min(this.pauses.loadedAt(), this.instances.loadedAt(), ...AUTOMATIONS.map((d) => this.keyInput(d.key).loadedAt()));
      this.composed = { views, at: now, invalidations, inputsExpireAt: oldest + INPUTS_TTL_MS };
    }
    return views;
  }

  /** Throws INVALID_KEY for a malformed key and NOT_FOUND for a well-formed unknown one. Redacted as {@link list}. */
  async get(key: string, access: TenantAccess = ALL_TENANTS): Promise<AutomationView> {
    const definition = this.lookup(key, 'NOT_FOUND');
    return this.viewOf(definition.key, access);
  }

  async run(key: string, actor: Actor): Promise<RunNowResult> {
    const definition = this.lookup(key, 'INVALID_KEY');
    if (!definition.supportsTrigger) {
      throw new AppError('UNSUPPORTED_ACTION', `Automation ${definition.key} cannot be triggered`);
    }
    const result = await this.deps.executor.execute(definition, { trigger: actor.trigger, actor: actor.label, slot: null });
    if (definition.scope === 'instance' && result.outcome !== 'slot-taken') await this.fanOut(definition, actor);
    // The run's own events already dropped this automation's run summary; dropping it here too keeps the answer
    // fresh even if a bus implementation delivered them late. Only this automation's history is read again.
    this.invalidateAutomation(definition.key, true);
    // The audit entry and the fresh view do not depend on each other: written and read together (one round trip
    // less on PostgreSQL, whose pool runs them side by side); the answer waits for both.
    switch (result.outcome) {
      case 'finished': {
        const [automation] = await Promise.all([
          this.viewOf(definition.key),
          this.deps.audit.record({
            actor: actor.label,
            action: 'automation.run',
            target: definition.key,
            outcome: result.run.outcome,
            detail: { runId: result.run.id, durationMs: result.run.durationMs, error: result.run.error },
          }),
        ]);
        return { outcome: 'finished', run: toRunView(result.run), automation };
      }
      case 'already-running':
      case 'slot-taken': {
        const [automation] = await Promise.all([
          this.viewOf(definition.key),
          this.deps.audit.record({ actor: actor.label, action: 'automation.run', target: definition.key, outcome: 'already-running' }),
        ]);
        return { outcome: 'already-running', runningOn: automation.runningOn, automation };
      }
      default:
        return assertNever(result);
    }
  }

  /** Idempotent. In-flight runs are not interrupted; scheduled ticks are skipped on every instance. */
  async pause(key: string, actor: Actor, input: PauseInput = {}): Promise<AutomationView> {
    const definition = this.lookup(key, 'INVALID_KEY');
    if (!definition.supportsPause) {
      throw new AppError('UNSUPPORTED_ACTION', `Automation ${definition.key} does not support pause/resume`);
    }
    const now = this.deps.now();
    const until = input.until ? Date.parse(input.until) : null;
    if (until !== null && until <= now) {
      throw new AppError('INVALID_INPUT', 'until must be in the future', { issues: [{ path: 'until', message: 'must be in the future' }] });
    }
    await this.deps.pauses.pause(definition.key, actor.label, now, input.reason || null, until);
    await this.deps.audit.record({
      actor: actor.label,
      action: 'automation.pause',
      target: definition.key,
      outcome: 'paused',
      detail: input.reason || until ? { reason: input.reason ?? null, until: input.until ?? null } : undefined,
    });
    await this.deps.bus.publish({ type: 'automation', key: definition.key, reason: 'paused' });
    this.invalidateAutomation(definition.key, false);
    return this.viewOf(definition.key);
  }

  /** Idempotent: resuming an automation that is not paused changes nothing. */
  async resume(key: string, actor: Actor): Promise<AutomationView> {
    const definition = this.lookup(key, 'INVALID_KEY');
    if (!definition.supportsPause) {
      throw new AppError('UNSUPPORTED_ACTION', `Automation ${definition.key} does not support pause/resume`);
    }
    await this.deps.pauses.resume(definition.key, actor.label, this.deps.now());
    await this.deps.audit.record({ actor: actor.label, action: 'automation.resume', target: definition.key, outcome: 'active' });
    await this.deps.bus.publish({ type: 'automation', key: definition.key, reason: 'resumed' });
    this.invalidateAutomation(definition.key, false);
    return this.viewOf(definition.key);
  }

  /** Run history, newest first, with a cursor for the next page. A tenant-restricted caller sees actors' kinds only. */
  async runs(key: string, query: RunsQuery, access: TenantAccess = ALL_TENANTS): Promise<{ runs: RunView[]; nextCursor: string | null }> {
    const definition = this.lookup(key, 'NOT_FOUND');
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const records = await this.deps.runs.history(definition.key, query.limit + 1, before);
    const page = records.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      runs: page.map((r) => ({ ...toRunView(r), actor: actorFor(access, r.actor) })),
      nextCursor: records.length > query.limit && last ? encodeCursor(last) : null,
    };
  }

  async isPaused(key: string): Promise<boolean> {
    return (await this.deps.pauses.get(key, this.deps.now()))?.paused ?? false;
  }

  /** Answers another instance's run-now of a per-instance automation by running this instance's copy. */
  async answerRunRequest(event: Extract<Envelope, { type: 'run-request' }>): Promise<void> {
    const definition = findDefinition(event.key);
    if (!definition || event.origin === this.deps.instanceId) return;
    let ok = true;
    let error: string | null = null;
    try {
      const result = await this.deps.executor.execute(definition, { trigger: 'api', actor: event.actor, slot: null });
      if (result.outcome === 'finished' && result.run.outcome === 'failed') {
        ok = false;
        error = result.run.error;
      }
    } catch (e) {
      ok = false;
      error = e instanceof Error ? e.message : String(e);
    }
    await this.deps.bus.publish({ type: 'run-reply', key: event.key, requestId: event.requestId, ok, error });
  }

  private async fanOut(definition: AutomationDefinition, actor: Actor): Promise<void> {
    const others = (await this.deps.instances.live()).filter((i) => i.id !== this.deps.instanceId).map((i) => i.id);
    if (others.length === 0) return;
    const requestId = randomUUID();
    const waiting = new Set(others);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FAN_OUT_WAIT_MS);
      this.replies.set(requestId, (reply) => {
        waiting.delete(reply.origin);
        if (waiting.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.deps.bus.publish({ type: 'run-request', key: definition.key, requestId, actor: actor.label });
    });
    this.replies.delete(requestId);
  }

  private lookup(key: string, unknownCode: 'NOT_FOUND' | 'INVALID_KEY'): AutomationDefinition {
    if (!KEY_PATTERN.test(key)) throw new AppError('INVALID_KEY', 'Invalid automation key');
    const definition = findDefinition(key);
    if (!definition) {
      throw unknownCode === 'NOT_FOUND'
        ? new AppError('NOT_FOUND', `Automation not found: ${key}`)
        : new AppError('INVALID_KEY', `Invalid automation key: ${key} is not one of ${AUTOMATIONS.map((d) => d.key).join(', ')}`);
    }
    return definition;
  }

  private async viewOf(key: string, access: TenantAccess = ALL_TENANTS): Promise<AutomationView> {
    const view = (await this.list(access)).find((v) => v.key === key);
    if (!view) throw new AppError('INTERNAL', `View of ${key} missing`);
    return view;
  }

  /**
   * A change of one automation (`*`, or a key this version does not know: all of them): its run summary, and
   * unless only runs changed, the pause records.
   */
  private invalidateAutomation(key: string, runsOnly: boolean): void {
    this.invalidations++;
    const one = this.perKey.get(key);
    if (one) one.invalidate();
    else for (const input of this.perKey.values()) input.invalidate();
    if (!runsOnly) this.pauses.invalidate();
  }

  private invalidateInstances(): void {
    this.invalidations++;
    this.instances.invalidate();
  }

  private keyInput(key: string): CachedInput<KeyInputs> {
    const input = this.perKey.get(key);
    if (!input) throw new AppError('INTERNAL', `No cached inputs for ${key}`);
    return input;
  }

  private async loadInstances(): Promise<InstanceInputs> {
    const live = await this.deps.instances.live();
    const schedulers = live.filter((i) => i.scheduler);
    const schedulingSince = schedulers.length > 0 ? Math.min(...schedulers.map((i) => Date.parse(i.startedAt))) : null;
    // With no live scheduler, one that died without stopping means runs are owed, not that none are expected.
    const lapsed = schedulingSince === null ? ((await this.deps.instances.lapsedSchedulers())[0] ?? null) : null;
    return { live, schedulingSince, lapsed };
  }

  private async loadKey(definition: AutomationDefinition, now: number): Promise<KeyInputs> {
    const [summary, liveMetrics] = await Promise.all([
      this.deps.runs.summary(definition.key, now),
      definition.liveMetrics ? definition.liveMetrics(this.deps.ports) : Promise.resolve({} as Metrics),
    ]);
    return { summary, liveMetrics };
  }

  private composeView(
    definition: AutomationDefinition,
    input: {
      now: number;
      pause: PauseRecord | null;
      summary: RunSummary;
      liveMetrics: Metrics;
      live: InstanceView[];
      schedulingSince: number | null;
      lapsed: { id: string; heartbeatAt: number } | null;
    },
  ): AutomationView {
    const { now, pause, summary } = input;
    const schedule = this.scheduleOf(definition);
    const paused = pause?.paused ?? false;
    const scheduled = schedule !== null && input.schedulingSince !== null;
    const lastFinished = summary.lastFinished;
    const lastRunFailed = lastFinished !== null && lastFinished.outcome !== 'succeeded';

    const dependencyProblem = this.deps.lockHealth.problem() ?? this.browserProblem(definition, input.live);
    let overdue: string | null = null;
    if (schedule !== null && scheduled && !paused) {
      const expectedSlot = this.fireTimes.previous(schedule, now - OVERDUE_GRACE_MS);
      const lastActivity = Math.max(summary.lastScheduledStart ?? 0, lastFinished?.finishedAt ?? 0) || null;
      if (isOverdue({ now, expectedSlot, lastScheduledStart: lastActivity, schedulingSince: input.schedulingSince, resumedAt: pause?.resumedAt ?? null })) {
        overdue = `Overdue: the run scheduled for ${new Date(expectedSlot).toISOString()} has not started`;
      }
    } else if (schedule !== null && !paused && input.lapsed) {
      overdue = `Overdue: no live instance runs the scheduler; ${input.lapsed.id} stopped beating at ${new Date(input.lapsed.heartbeatAt).toISOString()}`;
    }
    const running = summary.running.length > 0;
    const state = deriveState({ running, paused, lastRunFailed, dependencyDown: dependencyProblem !== null, overdue: overdue !== null, scheduled });

    const lastError =
      dependencyProblem ??
      (lastRunFailed ? (lastFinished?.error ?? 'Run failed') : null) ??
      overdue;

    return {
      key: definition.key,
      name: definition.name,
      description: definition.description,
      domain: definition.domain,
      cadenceLabel: cadenceLabel(schedule),
      distributed: this.deps.locks.kind === 'redis' && definition.scope === 'cluster',
      metrics: this.composeMetrics(definition, summary, input.liveMetrics, input.live),
      state,
      supportsPause: definition.supportsPause,
      supportsTrigger: definition.supportsTrigger,
      lastStartedAt: iso(summary.latest?.startedAt ?? null),
      lastCompletedAt: iso(lastFinished?.finishedAt ?? null),
      lastDurationMs: lastFinished?.durationMs ?? null,
      lastError,
      schedule,
      nextRunAt: schedule !== null && scheduled && !paused ? iso(this.fireTimes.next(schedule, now)) : null,
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

  /** Exactly the spec's keys: defaults, then the last run's values, then live values. */
  private composeMetrics(definition: AutomationDefinition, summary: RunSummary, liveMetrics: Metrics, live: InstanceView[]): Metrics {
    const recorded = summary.lastWithMetrics?.metrics ?? {};
    const metrics: Metrics = {};
    for (const key of definition.metricKeys) {
      const value = liveMetrics[key] ?? recorded[key];
      metrics[key] = value ?? defaultMetric(key);
    }
    if ('lockProvider' in metrics) metrics.lockProvider = this.deps.locks.kind;
    if (definition.scope === 'instance' && definition.domain === 'browser') {
      // The reaper's view covers every live instance's runtime (DESIGN §4.1).
      const own = this.deps.ports.browser.status();
      const others = live.filter((i) => i.id !== this.deps.instanceId).map((i) => i.stats.browser).filter((b) => b !== undefined);
      const all = [own, ...others];
      metrics.browserConnected = all.every((b) => b.browserConnected);
      metrics.liveSessions = all.reduce((sum, b) => sum + b.liveSessions, 0);
      metrics.shuttingDown = all.some((b) => b.shuttingDown);
    }
    return metrics;
  }

  private browserProblem(definition: AutomationDefinition, live: InstanceView[]): string | null {
    if (!definition.dependencyProblem) return null;
    const own = definition.dependencyProblem(this.deps.ports);
    if (own) return own;
    const broken = live.find((i) => i.id !== this.deps.instanceId && i.stats.browser && !i.stats.browser.healthy);
    return broken ? `Browser runtime on ${broken.id} is unavailable` : null;
  }
}

interface InstanceInputs {
  live: InstanceView[];
  schedulingSince: number | null;
  lapsed: { id: string; heartbeatAt: number } | null;
}

interface KeyInputs {
  summary: RunSummary;
  liveMetrics: Metrics;
}

/**
 * One cached input of the views: read through on first use, after {@link invalidate}, and once older than the
 * caller's TTL. Concurrent readers share one load; a load that started before the latest invalidation is not kept
 * (its rows may predate the change), and readers that arrive after the invalidation wait for a new one.
 */
class CachedInput<T> {
  private value: { data: T; at: number; version: number } | null = null;
  private version = 0;
  private loading: { version: number; promise: Promise<T> } | null = null;

  constructor(private readonly load: (now: number) => Promise<T>) {}

  invalidate(): void {
    this.version++;
  }

  /** When the value in use was read (0 when there is none). */
  loadedAt(): number {
    return this.value?.at ?? 0;
  }

  get(now: number, ttlMs: number): Promise<T> {
    const value = this.value;
    if (value && value.version === this.version && now - value.at < ttlMs) return Promise.resolve(value.data);
    if (this.loading && this.loading.version === this.version) return this.loading.promise;
    const version = this.version;
    const promise = this.load(now).then((data) => {
      if (version === this.version) this.value = { data, at: now, version };
      return data;
    });
    const entry = { version, promise };
    this.loading = entry;
    void promise
      .finally(() => {
        if (this.loading === entry) this.loading = null;
      })
      .catch(() => undefined);
    return promise;
  }
}

/**
 * Fire times of the schedules, remembered: between two slots every question has the same answer, and parsing a
 * cron expression costs more than the rest of a view. A span [from, to) holds the last fire time at or before a
 * moment and the first one after it.
 */
class FireTimes {
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
function effectivePause(pause: PauseRecord | null, now: number): PauseRecord | null {
  if (!pause?.paused || pause.until === null || pause.until > now) return pause;
  return { ...pause, paused: false, resumedAt: pause.until, resumedBy: 'schedule:until' };
}

function defaultMetric(key: string): string | number | boolean {
  if (key === 'lockProvider') return 'local';
  if (key === 'browserConnected' || key === 'shuttingDown') return false;
  return 0;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function toRunView(r: RunRecord): RunView {
  return {
    id: r.id,
    key: r.key,
    trigger: r.trigger,
    actor: r.actor,
    instanceId: r.instanceId,
    slot: r.slot,
    fence: r.fence,
    startedAt: new Date(r.startedAt).toISOString(),
    finishedAt: iso(r.finishedAt),
    durationMs: r.durationMs,
    outcome: r.outcome,
    error: r.error,
    metrics: r.metrics,
  };
}

function encodeCursor(r: RunRecord): string {
  return Buffer.from(`${r.startedAt}:${r.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { startedAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const match = /^(\d+):([0-9a-f-]{36})$/.exec(text);
  if (!match) {
    throw new AppError('INVALID_INPUT', 'cursor is not a cursor this API returned', { issues: [{ path: 'cursor', message: 'invalid cursor' }] });
  }
  return { startedAt: Number(match[1]), id: match[2] as string };
}

function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
