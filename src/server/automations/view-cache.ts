import 'server-only';
import type { ChangeBus, Envelope } from '../coordination/change-bus';
import type { InstanceRegistry, InstanceView } from '../coordination/instance-registry';
import { AppError } from '../errors';
import { actorFor, mayReadPlatformNotes } from '../tenants/actor-redaction';
import { ALL_TENANTS, type TenantAccess } from '../tenants/tenant-access';
import type { AutomationView } from './automation.schemas';
import type { AutomationDefinition, DomainPorts, Metrics } from './definition';
import type { PauseRecord, PauseRepository } from './pause.repository';
import type { RunRepository, RunSummary } from './run.repository';
import { type CompositionContext, FireTimes, composeView, effectivePause } from './view-composition';

/**
 * What the views are made of (pauses, instances, run summaries, live metrics) is read from the database again
 * after this long even when no change event came: other instances' heartbeats and queued notification deliveries
 * change without one. It matches the heartbeat interval, so instance data is as fresh as it can be.
 */
export const INPUTS_TTL_MS = 5_000;
/** Views are recomposed from the cached inputs at most this often, for the fields that move with the clock. */
export const VIEW_TTL_MS = 1_000;

export interface ViewCacheDeps {
  definitions: readonly AutomationDefinition[];
  bus: ChangeBus;
  /** The reads the views are made of, and nothing else. */
  instances: Pick<InstanceRegistry, 'live' | 'lapsedSchedulers'>;
  pauses: Pick<PauseRepository, 'all'>;
  runs: Pick<RunRepository, 'summary'>;
  ports: DomainPorts;
  lockKind: 'redis' | 'local';
  lockProblem: () => string | null;
  /** The cron in force per scheduled automation key. */
  schedules: Record<string, string | null>;
  instanceId: string;
  now: () => number;
}

/**
 * The automations' views, read through a versioned cache. The inputs of the views are cached and dropped by the
 * change events that concern them (a run of one automation drops that automation's run summary only; a pause or
 * resume drops its pause records too; lock-store health drops every automation's; an instance change the instance
 * list; a browser session change the live metrics of the automations that declare it), and read again after
 * {@link INPUTS_TTL_MS} at the latest. The views themselves are recomposed from those inputs at request time at most
 * every {@link VIEW_TTL_MS}, so countdowns and overdue detection follow the clock without a database read. A view
 * never outlives a change event: a read after one waits for the inputs it dropped.
 */
export class AutomationViewCache {
  private readonly pauses: CachedInput<Map<string, PauseRecord>>;
  private readonly instances: CachedInput<InstanceInputs>;
  private readonly perKey = new Map<string, CachedInput<KeyInputs>>();
  /** Counts invalidations: a composition made across one may hold dropped inputs and is not kept. */
  private invalidations = 0;
  private composed: { views: AutomationView[]; at: number; invalidations: number; inputsExpireAt: number } | null = null;
  /** A composed list as a tenant-restricted caller sees it, derived once per composition. */
  private readonly redactedLists = new WeakMap<AutomationView[], AutomationView[]>();
  private readonly context: CompositionContext;

  constructor(private readonly deps: ViewCacheDeps) {
    this.pauses = new CachedInput((now) => deps.pauses.all(now));
    this.instances = new CachedInput(() => this.loadInstances());
    for (const definition of deps.definitions) this.perKey.set(definition.key, new CachedInput((now) => this.loadKey(definition, now)));
    this.context = {
      ports: deps.ports,
      lockKind: deps.lockKind,
      lockProblem: deps.lockProblem,
      schedules: deps.schedules,
      instanceId: deps.instanceId,
      fireTimes: new FireTimes(),
    };
    deps.bus.subscribe((event) => this.hear(event));
  }

  /** Drops every cached input: the next read goes to the database. */
  invalidate(): void {
    this.invalidations++;
    this.pauses.invalidate();
    this.instances.invalidate();
    for (const input of this.perKey.values()) input.invalidate();
  }

  /** This instance changed an automation's run history: its next view reads that history again. */
  runsChanged(key: string): void {
    this.invalidateKey(key, false);
  }

  /** This instance changed an automation's pause record. */
  pauseChanged(key: string): void {
    this.invalidateKey(key, true);
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

  /** One automation's view, from the same composed list (one composition answers every view of a moment). */
  async view(key: string, access: TenantAccess = ALL_TENANTS): Promise<AutomationView> {
    const view = (await this.list(access)).find((v) => v.key === key);
    if (!view) throw new AppError('INTERNAL', `View of ${key} missing`);
    return view;
  }

  private hear(event: Envelope): void {
    switch (event.type) {
      case 'automation': {
        const { key } = event;
        switch (event.reason) {
          case 'run-started':
          case 'run-finished':
          case 'run-abandoned':
            return this.invalidateKey(key, false);
          case 'paused':
          case 'resumed':
          case 'lock-store-health':
            return this.invalidateKey(key, true);
          case 'browser-sessions':
            return this.liveMetricsChanged('browser-sessions');
          default:
            // A reason of a newer version: as a pause would, it may touch the pause records too.
            return this.invalidateKey(key, true);
        }
      }
      case 'browser-sessions':
        return this.liveMetricsChanged(event.type);
      case 'instances':
        this.invalidations++;
        return this.instances.invalidate();
      default:
        return undefined;
    }
  }

  private liveMetricsChanged(type: Envelope['type']): void {
    for (const definition of this.deps.definitions) {
      if (definition.liveMetricsChangeOn?.includes(type)) this.invalidateKey(definition.key, false);
    }
  }

  /**
   * A change of one automation (`*`, or a key this version does not know: all of them): its run summary and live
   * metrics, and with `pauses` the pause records.
   */
  private invalidateKey(key: string, pauses: boolean): void {
    this.invalidations++;
    const one = this.perKey.get(key);
    if (one) one.invalidate();
    else for (const input of this.perKey.values()) input.invalidate();
    if (pauses) this.pauses.invalidate();
  }

  private async composedList(): Promise<AutomationView[]> {
    const now = this.deps.now();
    const composed = this.composed;
    if (composed && composed.invalidations === this.invalidations && now - composed.at < VIEW_TTL_MS && now < composed.inputsExpireAt) {
      return composed.views;
    }
    const invalidations = this.invalidations;
    const definitions = this.deps.definitions;
    const [pauses, instances, ...perKey] = await Promise.all([
      this.pauses.get(now, INPUTS_TTL_MS),
      this.instances.get(now, INPUTS_TTL_MS),
      ...definitions.map((d) => this.keyInput(d.key).get(now, INPUTS_TTL_MS)),
    ]);
    const views = definitions.map((definition, i) => {
      const inputs = perKey[i] as KeyInputs;
      const view = {
        now,
        pause: effectivePause(pauses.get(definition.key) ?? null, now),
        summary: inputs.summary,
        liveMetrics: inputs.liveMetrics,
        live: instances.live,
        schedulingSince: instances.schedulingSince,
        lapsed: instances.lapsed,
      };
      return composeView(definition, view, this.context);
    });
    // Inputs dropped while this composition awaited them may be stale: answer with it, but do not keep it.
    if (invalidations === this.invalidations) {
      const oldest = Math.min(this.pauses.loadedAt(), this.instances.loadedAt(), ...definitions.map((d) => this.keyInput(d.key).loadedAt()));
      this.composed = { views, at: now, invalidations, inputsExpireAt: oldest + INPUTS_TTL_MS };
    }
    return views;
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
