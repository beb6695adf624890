import type { Redis } from 'ioredis';
import { AlertEvaluationService } from './alerts/alert-evaluation.service';
import { AuditLog } from './audit/audit-log';
import { OperatorService } from './auth/operator.service';
import { RateLimiter } from './auth/rate-limiter';
import { TokenService } from './auth/token.service';
import { AutomationService } from './automations/automation.service';
import type { DomainPorts } from './automations/definition';
import { PauseRepository } from './automations/pause.repository';
import { AUTOMATIONS } from './automations/registry';
import { RunExecutor } from './automations/run-executor';
import { RunRepository } from './automations/run.repository';
import { assertValidCron } from './automations/schedule';
import { Scheduler } from './automations/scheduler';
import { type BrowserRuntime, UnlaunchedBrowserRuntime } from './browser/browser-runtime';
import { BrowserSessionsService } from './browser/browser-sessions.service';
import { type Config, parseEnv, scheduleVariable } from './config/env';
import { type ChangeBus, LocalChangeBus, RedisChangeBus } from './coordination/change-bus';
import { InstanceRegistry } from './coordination/instance-registry';
import { LocalLockProvider } from './coordination/local-lock-provider';
import { LockHealth } from './coordination/lock-health';
import type { LockProvider } from './coordination/lock-provider';
import { openRedis } from './coordination/redis-connection';
import { RedisLockProvider } from './coordination/redis-lock-provider';
import { type DatabaseHandle, openDatabase } from './db/client';
import { migrateToLatest } from './db/migrations';
import { InferencePollService } from './inference/inference-poll.service';
import { type Logger, createLogger } from './logger';
import { APP_VERSION } from './version';

/** Every long-lived object of one process, built once from the parsed environment. */
export interface Container {
  config: Config;
  version: string;
  logger: Logger;
  database: DatabaseHandle;
  redis: { commands: Redis; subscriber: Redis } | null;
  locks: LockProvider;
  lockHealth: LockHealth;
  bus: ChangeBus;
  instances: InstanceRegistry;
  audit: AuditLog;
  tokens: TokenService;
  operators: OperatorService;
  automations: AutomationService;
  executor: RunExecutor;
  runs: RunRepository;
  scheduler: Scheduler;
  browserRuntime: BrowserRuntime;
  browser: BrowserSessionsService;
  apiRateLimiter: RateLimiter;
  now: () => number;
}

/** The cron in force per automation: the definition's default, overridden by AUTOMATION_SCHEDULE_<KEY>. */
export function effectiveSchedules(config: Config): Record<string, string | null> {
  const schedules: Record<string, string | null> = {};
  for (const d of AUTOMATIONS) {
    const override = config.scheduleOverrides[d.key];
    if (override !== undefined) {
      try {
        assertValidCron(override);
      } catch (error) {
        throw new Error(`Invalid configuration:\n  ${scheduleVariable(d.key)}: ${(error as Error).message}`);
      }
    }
    schedules[d.key] = d.defaultSchedule === null ? null : (override ?? d.defaultSchedule);
  }
  return schedules;
}

/**
 * The composition root: the only place that reads configuration and picks implementations (SQLite or
 * PostgreSQL, local or Redis locks). Runs migrations before anything uses the database.
 */
export async function createContainer(env: Record<string, string | undefined>, now: () => number = Date.now): Promise<Container> {
  const config = parseEnv(env);
  const schedules = effectiveSchedules(config);
  const logger = createLogger(config.LOG_LEVEL, { instance: config.instanceId });
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, dataDir: config.dataDir });
  await migrateToLatest(database.db as never, database.dialect, config.DATABASE_SCHEMA);

  const lockHealth = new LockHealth();
  let redis: Container['redis'] = null;
  let locks: LockProvider;
  let bus: ChangeBus;
  if (config.REDIS_URL) {
    const report = (message: string) => {
      lockHealth.reportFailure(`Lock store (Redis) unavailable: ${message}`, now());
      logger.warn({ error: message }, 'redis connection problem');
    };
    const commands = openRedis(config.REDIS_URL, report);
    const subscriber = openRedis(config.REDIS_URL, report, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    commands.on('ready', () => lockHealth.reportSuccess());
    redis = { commands, subscriber };
    locks = new RedisLockProvider(commands, config.REDIS_PREFIX);
    bus = new RedisChangeBus(config.instanceId, commands, subscriber, config.REDIS_PREFIX, (m) => logger.warn({ error: m }, 'change bus problem'));
  } else {
    locks = new LocalLockProvider(now);
    bus = new LocalChangeBus(config.instanceId);
  }

  const db = database.db;
  const instances = new InstanceRegistry(db, { id: config.instanceId, version: APP_VERSION, lockProvider: locks.kind, scheduler: config.SCHEDULER === 'on' }, now);
  const audit = new AuditLog(db, config.instanceId, now);
  const browserRuntime: BrowserRuntime = new UnlaunchedBrowserRuntime();
  const browser = new BrowserSessionsService(db, browserRuntime, config.instanceId, (id) => instances.isLive(id));
  const ports: DomainPorts = { db, inference: new InferencePollService(db), alerts: new AlertEvaluationService(db), browser };
  const runs = new RunRepository(db);
  const executor = new RunExecutor({ locks, lockHealth, runs, bus, ports, instanceId: config.instanceId, runTimeoutMs: config.RUN_TIMEOUT_MS, logger, now });
  const pauses = new PauseRepository(db, (fn) => database.writeTransaction(fn));
  const automations = new AutomationService({ locks, lockHealth, bus, instances, pauses, runs, executor, audit, ports, schedules, instanceId: config.instanceId, now });
  const scheduler = new Scheduler({
    schedules,
    locks,
    lockHealth,
    executor,
    isPaused: (key) => automations.isPaused(key),
    instanceId: config.instanceId,
    logger,
    now,
  });

  return {
    config,
    version: APP_VERSION,
    logger,
    database,
    redis,
    locks,
    lockHealth,
    bus,
    instances,
    audit,
    tokens: new TokenService(db, bus, audit, now),
    operators: new OperatorService(db, bus, audit, now),
    automations,
    executor,
    runs,
    scheduler,
    browserRuntime,
    browser,
    apiRateLimiter: new RateLimiter(config.API_RATE_LIMIT_PER_MINUTE, 60_000, now),
    now,
  };
}

const GLOBAL_KEY = Symbol.for('automations-console.container');
type GlobalWithContainer = typeof globalThis & { [GLOBAL_KEY]?: Promise<Container> };

/**
 * The process-wide container, built on first use and cached on globalThis: Next.js loads instrumentation and
 * route handlers as separate bundles (and reloads modules in dev), and all of them must share one container.
 */
export function getContainer(): Promise<Container> {
  const g = globalThis as GlobalWithContainer;
  g[GLOBAL_KEY] ??= createContainer(process.env).catch((error: unknown) => {
    delete g[GLOBAL_KEY];
    throw error;
  });
  return g[GLOBAL_KEY];
}
