import 'server-only';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { ChangeBus } from '../coordination/change-bus';
import type { LockHealth } from '../coordination/lock-health';
import type { LockProvider } from '../coordination/lock-provider';
import type { RunTrigger } from '../db/schema';
import { type LeaseDeps, withLease } from '../coordination/lease';
import { AppError, errorMessage } from '../errors';
import type { Logger } from '../logger';
import type { ConsoleMetrics } from '../observability/metrics';
import type { AutomationDefinition, DomainPorts, Metrics, RunContext } from './definition';
import type { RunLogLimits } from '../config/automations.config';
import { RunLog } from './run-log';
import type { RunLogRepository } from './run-log.repository';
import type { RunRecord, RunRepository } from './run.repository';

/** How long a run's mutex and database lease last without renewal; renewed every third of it. */
export const RUN_LEASE_MS = 15_000;

/**
 * How a request to run ended. `already-running`: the run mutex is held (another run of this automation is in flight);
 * `claimed-elsewhere`: the scheduled slot already has its run (the database's backstop of the scheduler's claim).
 */
export type ExecuteResult = { outcome: 'finished'; run: RunRecord } | { outcome: 'already-running'; holder: string | null } | { outcome: 'claimed-elsewhere' };

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
 * Runs one automation under its run mutex and records it (DESIGN §4.3, §4.6): under the lease (fenced, renewed,
 * released at once), record the start → do the work until it ends, times out or loses the lease → record the end.
 * Never two runs of one automation at a time (per instance for instance-scoped automations); a held mutex is an
 * "already running" result, not an error.
 */
export class RunExecutor {
  private readonly inFlight = new Map<string, InFlight>();
  private stopping = false;

  constructor(
    private readonly deps: {
      locks: LockProvider;
      lockHealth: LockHealth;
      runs: RunRepository;
      /** Where each run's own log and progress are written (RunContext.log / progress). */
      runLogs: Pick<RunLogRepository, 'append'>;
      runLogLimits: RunLogLimits;
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
    const { locks, runs, bus, now, instanceId } = this.deps;
    /** The run once its row is written (the renewals extend its lease; the end publishes its change). */
    const current: { run: RunRecord | null } = { run: null };
    let log = this.deps.logger;
    const leaseDeps: LeaseDeps = {
      locks,
      lockHealth: this.deps.lockHealth,
      owner: instanceId,
      now,
      onAcquire: (result, seconds) => this.deps.metrics.lockAcquire.observe({ provider: locks.kind, result }, seconds),
      onRenewed: async (expiresAt) => {
        if (current.run) await runs.renewLease(current.run.id, expiresAt);
      },
      onRenewalError: (error) => log.warn({ error: errorMessage(error) }, 'run lease renewal failed'),
      onReleaseError: (error) => log.warn({ error: errorMessage(error) }, 'run mutex release failed; it lapses with its lease'),
    };
    try {
      const lease = await withLease(leaseDeps, this.mutexName(definition), RUN_LEASE_MS, async ({ fence, signal }): Promise<ExecuteResult> => {
        const startedAt = now();
        const slot = request.slot === null ? null : `${new Date(request.slot).toISOString()}${definition.scope === 'instance' ? `@${instanceId}` : ''}`;
        const run = await runs.start({
          id: randomUUID(),
          key: definition.key,
          trigger: request.trigger,
          actor: request.actor,
          instanceId,
          slot,
          fence,
          startedAt,
          leaseExpiresAt: startedAt + RUN_LEASE_MS,
        });
        if (run === null) return { outcome: 'claimed-elsewhere' };
        current.run = run;
        log = this.deps.logger.child({ runId: run.id, automation: definition.key, trigger: request.trigger, fence });
        log.debug({}, 'run started');
        void bus.publish({ type: 'automation', key: definition.key, reason: 'run-started' });

        const runLog = new RunLog({ runId: run.id, store: this.deps.runLogs, limits: this.deps.runLogLimits, logger: log, now });
        let result: { metrics: Metrics | null; error: string | null };
        try {
          result = await this.work(definition, run, signal, runLog);
          if (result.error !== null) runLog.log('error', `Run failed: ${result.error}`);
        } finally {
          // Before the end is recorded, so a finished run's log is complete when its outcome is visible.
          await runLog.close();
        }
        const finishedAt = now();
        const outcome = result.error === null ? ('succeeded' as const) : ('failed' as const);
        const finished = await runs.finish(run, { outcome, finishedAt, durationMs: finishedAt - startedAt, ...result });
        this.deps.metrics.runs.inc({ automation: definition.key, trigger: request.trigger, outcome });
        this.deps.metrics.runDuration.observe({ automation: definition.key, outcome }, (finished.durationMs ?? 0) / 1000);
        if (outcome === 'failed') log.warn({ durationMs: finished.durationMs, error: finished.error }, 'run failed');
        else log.info({ durationMs: finished.durationMs }, 'run succeeded');
        return { outcome: 'finished', run: finished };
      });
      return lease.held ? lease.value : { outcome: 'already-running', holder: lease.holder };
    } finally {
      // After the end is recorded and the mutex released: drain waits for this, and a view read on hearing the
      // event sees the mutex free.
      if (current.run) {
        this.inFlight.delete(current.run.id);
        void bus.publish({ type: 'automation', key: definition.key, reason: 'run-finished' });
      }
    }
  }

  /**
   * The definition's run, until it ends, exceeds the maximum duration, is cut short by shutdown, or its lease is
   * lost; whichever comes first is the outcome. Never rejects: a failure is the error message.
   */
  private async work(
    definition: AutomationDefinition,
    run: RunRecord,
    leaseLost: AbortSignal,
    runLog: RunLog,
  ): Promise<{ metrics: Metrics | null; error: string | null }> {
    const abort = new AbortController();
    // Every concurrent outbound request of the run listens on this signal (and removes itself when done);
    // Node's default warning at 10 listeners would only be noise.
    setMaxListeners(0, abort.signal);
    const onLost = () => abort.abort(leaseLost.reason);
    if (leaseLost.aborted) onLost();
    else leaseLost.addEventListener('abort', onLost, { once: true });
    const timeout = setTimeout(
      () => abort.abort(new Error(`Run exceeded its maximum duration of ${this.deps.runTimeoutMs} ms and was aborted`)),
      this.deps.runTimeoutMs,
    );
    const done = (async (): Promise<{ metrics: Metrics | null; error: string | null }> => {
      try {
        const aborted = new Promise<never>((_, reject) => {
          abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
        });
        const { locks, now } = this.deps;
        const context: RunContext = {
          runId: run.id,
          trigger: run.trigger,
          instanceId: run.instanceId,
          lockProvider: locks.kind,
          signal: abort.signal,
          now,
          log: (level, message, fields) => runLog.log(level, message, fields),
          progress: (done, total, unit) => runLog.progress(done, total, unit),
        };
        const metrics = await Promise.race([definition.run(this.deps.ports, context), aborted]);
        return { metrics, error: null };
      } catch (error) {
        return { metrics: null, error: errorMessage(error) || 'Run failed without a message' };
      } finally {
        clearTimeout(timeout);
        leaseLost.removeEventListener('abort', onLost);
      }
    })();
    this.inFlight.set(run.id, { runId: run.id, key: definition.key, done, abort });
    return done;
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
