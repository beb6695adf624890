import 'server-only';
import type { LockHealth } from '../coordination/lock-health';
import type { LockProvider } from '../coordination/lock-provider';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { AutomationService } from './automation.service';
import type { DomainPorts } from './definition';
import { PauseRepository } from './pause.repository';
import { AUTOMATIONS } from './registry';
import { RunExecutor } from './run-executor';
import { RunHousekeeping } from './run-housekeeping';
import { RunRequests } from './run-requests';
import { RunRepository } from './run.repository';
import { RunLogRepository } from './run-log.repository';
import { runLogLimits } from '../config/automations.config';
import { Scheduler } from './scheduler';
import { AutomationViewCache } from './view-cache';

export interface AutomationsModuleDeps extends ModuleDeps {
  locks: LockProvider;
  lockHealth: LockHealth;
  /** What the definitions' run functions act through (the other domains' ports). */
  ports: DomainPorts;
  /** The cron in force per scheduled automation key (defaults with env overrides applied). */
  schedules: Record<string, string | null>;
}

/**
 * The automations domain: run records (`runs`, where a run is recorded), pause records, the executor (where the
 * run's lease is taken), the views, the service both transports call (where pausing happens), the scheduler, and
 * run-now across instances. The lifecycle owns the background work of runs: answering other instances' run requests,
 * the abandoned-run sweep and retention. Boot starts the scheduler itself, after the boot reconciliation, and drains
 * the executor before the lifecycles stop.
 */
export function createAutomationsModule(deps: AutomationsModuleDeps) {
  const { bus, instances, now, config } = deps;
  const instanceId = config.instanceId;
  const runs = new RunRepository(deps.database.db);
  const runLogs = new RunLogRepository(deps.database.db, (fn) => deps.database.writeTransaction(fn));
  const pauses = new PauseRepository(deps.database.db, (fn) => deps.database.writeTransaction(fn));
  const executor = new RunExecutor({
    locks: deps.locks,
    lockHealth: deps.lockHealth,
    runs,
    runLogs,
    runLogLimits: runLogLimits(config),
    bus,
    ports: deps.ports,
    metrics: deps.metrics,
    instanceId,
    runTimeoutMs: config.RUN_TIMEOUT_MS,
    logger: deps.logger,
    now,
  });
  const views = new AutomationViewCache({
    definitions: AUTOMATIONS,
    bus,
    instances,
    pauses,
    runs,
    ports: deps.ports,
    lockKind: deps.locks.kind,
    lockProblem: () => deps.lockHealth.problem(),
    schedules: deps.schedules,
    instanceId,
    now,
  });
  const runRequests = new RunRequests({ bus, instances, executor, instanceId });
  const service = new AutomationService({ bus, views, pauses, runs, runLogs, executor, runRequests, audit: deps.audit, now });
  const scheduler = new Scheduler({
    schedules: deps.schedules,
    locks: deps.locks,
    lockHealth: deps.lockHealth,
    executor,
    isPaused: (key) => service.isPaused(key),
    instanceId,
    logger: deps.logger,
    now,
    onSkip: (key, reason) => deps.metrics.skippedTicks.inc({ automation: key, reason }),
  });
  const housekeeping = new RunHousekeeping({
    definitions: AUTOMATIONS,
    runs,
    bus,
    retention: { perAutomation: config.RUN_RETENTION_PER_AUTOMATION, days: config.RUN_RETENTION_DAYS },
    logger: deps.logger,
    now,
  });
  let stopListening: (() => void) | null = null;
  const lifecycle: Lifecycle = {
    async start() {
      stopListening ??= runRequests.listen();
      housekeeping.start();
    },
    async stop() {
      housekeeping.stop();
      stopListening?.();
      stopListening = null;
    },
  };
  return { service, runs, runLogs, pauses, executor, views, runRequests, scheduler, lifecycle };
}

export type AutomationsModule = ReturnType<typeof createAutomationsModule>;
