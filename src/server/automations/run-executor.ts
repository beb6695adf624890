import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { ChangeBus } from '../coordination/change-bus';
import type { LockHealth } from '../coordination/lock-health';
import type { LockProvider } from '../coordination/lock-provider';
import type { RunTrigger } from '../db/schema';
import { AppError, errorMessage, isAppError } from '../errors';
import type { Logger } from '../logger';
import type { ConsoleMetrics } from '../observability/metrics';
import type { AutomationDefinition, DomainPorts, Metrics } from './definition';
import type { RunRecord, RunRepository } from './run.repository';

/** How long a run's mutex and database lease last without renewal; renewed every third of it. */
export const RUN_LEASE_MS = 15_000;

export type ExecuteResult =
  | { outcome: 'finished'; run: RunRecord }
  | { outcome: 'already-running'; holder: string | null }
  | { outcome: 'slot-taken' };

export interface ExecuteRequest {
  trigger: RunTrigger;
  actor: string | null;
  /** Scheduled fire time (epoch ms) for schedule runs. */
  slot: number | null;
}

interface InFlight {
  runId: string;
  key: string;
  done: Promise<unknown>;
  abort: AbortController;
}

/**
 * Runs one automation under its run mutex and records it (DESIGN §4.3, §4.6):
 * take the mutex (fenced) → insert the run row → renew both while the run lives → record the outcome →
 * release the mutex at once. Never two runs of one automation at a time (per instance for instance-scoped
 * automations); a held mutex is an "already running" result, not an error.
 */
export class RunExecutor {
  private readonly inFlight = new Map<string, InFlight>();
  private stopping = false;

  constructor(
    private readonly deps: {
      locks: LockProvider;
      lockHealth: LockHealth;
      runs: RunRepository;
      bus: ChangeBus;
      ports: DomainPorts;
      metrics: ConsoleMetrics;
      instanceId: string;
      runTimeoutMs: number;
      logger: Logger;
      now: () => number;
    },
  ) {}

  mutexName(definition: AutomationDefinition): string {
    return definition.scope === 'instance' ? `run:${definition.key}:${this.deps.instanceId}` : `run:${definition.key}`;
  }

  /** Runs in flight on this instance (run ids). */
  running(): string[] {
    return [...this.inFlight.values()].map((r) => `${r.key}:${r.runId}`);
  }

  async execute(definition: AutomationDefinition, request: ExecuteRequest): Promise<ExecuteResult> {
    if (this.stopping) throw new AppError('SHUTTING_DOWN', 'This instance is shutting down and starts no new runs', { retryAfterSeconds: 2 });
    const { locks, lockHealth, runs, bus, now, instanceId } = this.deps;
    const mutex = this.mutexName(definition);

    let grant;
    const acquireStarted = performance.now();
    const observeAcquire = (result: string) =>
      this.deps.metrics.lockAcquire.observe({ provider: locks.kind, result }, (performance.now() - acquireStarted) / 1000);
    try {
      grant = await locks.acquire(mutex, RUN_LEASE_MS, instanceId);
      lockHealth.reportSuccess();
      observeAcquire(grant ? 'granted' : 'held');
    } catch (error) {
      observeAcquire('error');
      if (isAppError(error) && error.code === 'LOCK_STORE_UNAVAILABLE') lockHealth.reportFailure(error.message, now());
      throw error;
    }
    if (!grant) {
      const holder = await locks.holder(mutex).catch(() => null);
      return { outcome: 'already-running', holder };
    }

    const runId = randomUUID();
    const startedAt = now();
    const slot =
      request.slot === null ? null : `${new Date(request.slot).toISOString()}${definition.scope === 'instance' ? `@${instanceId}` : ''}`;
    let inserted: boolean;
    try {
      inserted = await runs.start({
        id: runId,
        key: definition.key,
        trigger: request.trigger,
        actor: request.actor,
        instanceId,
        slot,
        fence: grant.fence,
        startedAt,
        leaseExpiresAt: startedAt + RUN_LEASE_MS,
      });
    } catch (error) {
      await locks.release(mutex, grant.token).catch(() => undefined);
      throw error;
    }
    if (!inserted) {
      await locks.release(mutex, grant.token).catch(() => undefined);
      return { outcome: 'slot-taken' };
    }

    const log = this.deps.logger.child({ runId, automation: definition.key, trigger: request.trigger, fence: grant.fence });
    log.debug({}, 'run started');
    void bus.publish({ type: 'automation', key: definition.key, reason: 'run-started' });

    const abort = new AbortController();
    // Every concurrent outbound request of the run listens on this signal (and removes itself when done);
    // Node's default warning at 10 listeners would only be noise.
    setMaxListeners(0, abort.signal);
    const timeout = setTimeout(
      () => abort.abort(new Error(`Run exceeded its maximum duration of ${this.deps.runTimeoutMs} ms and was aborted`)),
      this.deps.runTimeoutMs,
    );
    let renewedAt = startedAt;
    const renew = setInterval(() => {
      void (async () => {
        try {
          const held = await locks.extend(mutex, grant.token, RUN_LEASE_MS);
          lockHealth.reportSuccess();
          if (!held) abort.abort(new Error('Run lost its lock (lease lapsed) and was aborted'));
          else {
            renewedAt = now();
            await runs.renewLease(runId, renewedAt + RUN_LEASE_MS);
          }
        } catch (error) {
          if (isAppError(error) && error.code === 'LOCK_STORE_UNAVAILABLE') lockHealth.reportFailure(error.message, now());
          log.warn({ error: errorMessage(error) }, 'run lease renewal failed');
          // Keep running while the lease surely lasts; cut the run before the lock can lapse and be granted
          // to another instance, so two runs never overlap.
          if (now() - renewedAt >= (RUN_LEASE_MS * 2) / 3) {
            abort.abort(new Error(`Run aborted: its lock could not be renewed (${errorMessage(error)})`));
          }
        }
      })();
    }, RUN_LEASE_MS / 3);

    const work = (async (): Promise<{ metrics: Metrics | null; error: string | null }> => {
      try {
        const aborted = new Promise<never>((_, reject) => {
          abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
        });
        const metrics = await Promise.race([
          definition.run(this.deps.ports, { runId, trigger: request.trigger, instanceId, lockProvider: locks.kind, signal: abort.signal, now }),
          aborted,
        ]);
        return { metrics, error: null };
      } catch (error) {
        return { metrics: null, error: errorMessage(error) || 'Run failed without a message' };
      }
    })();
    this.inFlight.set(runId, { runId, key: definition.key, done: work, abort });

    try {
      const result = await work;
      clearTimeout(timeout);
      clearInterval(renew);
      const finishedAt = now();
      const end = {
        outcome: result.error === null ? ('succeeded' as const) : ('failed' as const),
        finishedAt,
        durationMs: finishedAt - startedAt,
        error: result.error,
        metrics: result.metrics,
      };
      await runs.finish(runId, end);
      this.deps.metrics.runs.inc({ automation: definition.key, trigger: request.trigger, outcome: end.outcome });
      this.deps.metrics.runDuration.observe({ automation: definition.key, outcome: end.outcome }, end.durationMs / 1000);
      if (end.outcome === 'failed') log.warn({ durationMs: end.durationMs, error: end.error }, 'run failed');
      else log.info({ durationMs: end.durationMs }, 'run succeeded');
      return {
        outcome: 'finished',
        run: {
          id: runId,
          key: definition.key,
          trigger: request.trigger,
          actor: request.actor,
          instanceId,
          slot,
          fence: grant.fence,
          startedAt,
          ...end,
        },
      };
    } finally {
      clearTimeout(timeout);
      clearInterval(renew);
      this.inFlight.delete(runId);
      await locks.release(mutex, grant.token).catch((error: unknown) => {
        log.warn({ error: errorMessage(error) }, 'run mutex release failed; it lapses with its lease');
      });
      void bus.publish({ type: 'automation', key: definition.key, reason: 'run-finished' });
    }
  }

  /**
   * Stops taking runs and waits up to `graceMs` for those in flight. Runs still going then are aborted, which
   * records them as failed with the reason, and their mutexes are released.
   */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    const pending = [...this.inFlight.values()];
    if (pending.length === 0) return;
    const all = Promise.allSettled(pending.map((p) => p.done));
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
    if (timedOut) {
      for (const p of this.inFlight.values()) p.abort.abort(new Error(`Run cut short by shutdown after ${graceMs} ms`));
    }
    // Let the finally blocks record outcomes and release mutexes.
    const deadline = Date.now() + 2000;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}
