import 'server-only';
import type { Redis } from 'ioredis';
import { type AlertsModule, createAlertsModule } from './alerts/alerts.module';
import { AuditLog } from './audit/audit-log';
import { OperatorService } from './auth/operator.service';
import { SessionService } from './auth/session.service';
import { ApiLimits } from './auth/api-limits';
import type { LimiterStore } from './auth/limiters';
import { SignInGuard } from './auth/sign-in-guard';
import { TokenService } from './auth/token.service';
import type { AutomationService } from './automations/automation.service';
import { createAutomationsModule } from './automations/automations.module';
import type { DomainPorts } from './automations/definition';
import { AUTOMATIONS } from './automations/registry';
import type { RunExecutor } from './automations/run-executor';
import type { RunRequests } from './automations/run-requests';
import type { RunRepository } from './automations/run.repository';
import { assertValidCron } from './automations/schedule';
import type { Scheduler } from './automations/scheduler';
import { type BrowserModule, createBrowserModule } from './browser/browser.module';
import { type Config, parseEnv, scheduleVariable } from './config/env';
import { type ChangeBus, RedisChangeBus } from './coordination/change-bus';
import { DatabaseChangeBus } from './coordination/database-change-bus';
import { InstanceRegistry } from './coordination/instance-registry';
import { LocalLockProvider } from './coordination/local-lock-provider';
import { LockHealth } from './coordination/lock-health';
import type { LockProvider } from './coordination/lock-provider';
import { openRedis } from './coordination/redis-connection';
import { RedisLockProvider } from './coordination/redis-lock-provider';
import { type DatabaseHandle, openDatabase } from './db/client';
import { StreamSlots } from './auth/stream-slots';
import { migrateToLatest } from './db/migrations/index';
import { type InferenceModule, createInferenceModule } from './inference/inference.module';
import { type Logger, createLogger } from './logger';
import type { Lifecycle, ModuleDeps } from './module-deps';
import { OutboundPolicy } from './net/outbound-policy';
import { allowListsOf } from './net/outbound.config';
import { ConsoleMetrics } from './observability/metrics';
import { type TenantsModule, createTenantsModule } from './tenants/tenants.module';
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
  sessions: SessionService;
  automations: AutomationService;
  executor: RunExecutor;
  runs: RunRepository;
  scheduler: Scheduler;
  /** Run-now of per-instance automations across instances (the automations lifecycle answers others' requests). */
  runRequests: RunRequests;
  outbound: OutboundPolicy;
  metrics: ConsoleMetrics;
  tenants: TenantsModule;
  inference: InferenceModule;
  browser: BrowserModule;
  alerts: AlertsModule;
  /** Background work of the domain modules, started by boot in this order and stopped in reverse. */
  lifecycles: Lifecycle[];
  /** Per-token and failed-authentication limits of the client API. */
  apiLimits: ApiLimits;
  /** Live subscriptions open on this instance, per operator and in total. */
  liveStreams: StreamSlots;
  now: () => number;
  /**
   * Closes what the container opened: the change bus, the Redis connections, the database. Background work is
   * stopped first by whoever started it (boot). Idempotent; never rejects.
   */
  close(): Promise<void>;
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
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    dataDir: config.dataDir,
    onWarning: (message) => logger.warn({ path: config.dataDir }, message),
  });
  await migrateToLatest(database.db as never, database.dialect, config.DATABASE_SCHEMA);

  // Declared before the bus exists; a change of lock-store health refreshes every view on this instance.
  let publishHealth: () => void = () => undefined;
  const lockHealth = new LockHealth(() => publishHealth());
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
    // Without Redis, other processes on this database (the CLI, a second console on the same DATA_DIR) are heard
    // through the database's change feed.
    bus = new DatabaseChangeBus(config.instanceId, database, {
      pollMs: config.CHANGE_FEED_POLL_MS,
      retentionMs: 5 * 60_000,
      onError: (m) => logger.warn({ error: m }, 'change bus problem'),
    });
  }

  const limiterStore: LimiterStore = { redis: redis?.commands ?? null, prefix: config.REDIS_PREFIX };
  const signIn = new SignInGuard(limiterStore, {
    concurrency: config.SIGN_IN_CONCURRENCY,
    queue: config.SIGN_IN_QUEUE,
    freeAttempts: config.SIGN_IN_FREE_ATTEMPTS,
    backoffBaseSeconds: config.SIGN_IN_BACKOFF_BASE_SECONDS,
    backoffMaxSeconds: config.SIGN_IN_BACKOFF_MAX_SECONDS,
    clientFailures: config.SIGN_IN_CLIENT_FAILURES,
    accountFailures: config.SIGN_IN_ACCOUNT_FAILURES,
  });

  publishHealth = () => void bus.publish({ type: 'automation', key: '*', reason: 'lock-store-health' });
  const db = database.db;
  const instances = new InstanceRegistry(
    db,
    { id: config.instanceId, version: APP_VERSION, lockProvider: locks.kind, scheduler: config.SCHEDULER === 'on' },
    now,
  );
  const audit = new AuditLog(db, config.instanceId, now);
  const outbound = new OutboundPolicy({ allow: allowListsOf(config) });
  const metrics = new ConsoleMetrics(config.instanceId);
  const moduleDeps: ModuleDeps = { database, config, logger, bus, instances, audit, outbound, metrics, now };
  const tenants = createTenantsModule(moduleDeps);
  const inference = createInferenceModule(moduleDeps);
  const browser = createBrowserModule(moduleDeps);
  const alerts = createAlertsModule(moduleDeps);
  const ports: DomainPorts = { db, inference: inference.port, alerts: alerts.port, browser: browser.port };
  metrics.observeLiveSessions(() => browser.port.status().liveSessions);
  const automations = createAutomationsModule({ ...moduleDeps, locks, lockHealth, ports, schedules });

  const sessions = new SessionService(
    db,
    bus,
    audit,
    { idleTimeoutMs: config.SESSION_IDLE_TIMEOUT_MINUTES * 60_000, failedLoginRetentionMs: config.AUDIT_FAILED_LOGIN_RETENTION_DAYS * 86_400_000 },
    (m) => logger.warn({ error: m }, 'session purge failed'),
    now,
  );

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
    operators: new OperatorService(db, bus, audit, now, signIn, config.SESSION_IDLE_TIMEOUT_MINUTES * 60_000),
    sessions,
    automations: automations.service,
    executor: automations.executor,
    runs: automations.runs,
    scheduler: automations.scheduler,
    runRequests: automations.runRequests,
    outbound,
    metrics,
    tenants,
    inference,
    browser,
    alerts,
    // Automations last: its run requests are answered once every domain its runs act on has started.
    lifecycles: [tenants.lifecycle, inference.lifecycle, browser.lifecycle, alerts.lifecycle, sessions.lifecycle, automations.lifecycle],
    apiLimits: new ApiLimits(limiterStore, { perTokenPerMinute: config.API_RATE_LIMIT_PER_MINUTE, failuresPerMinute: config.AUTH_FAILURES_PER_MINUTE }),
    liveStreams: new StreamSlots({ max: config.LIVE_STREAMS_MAX, perHolder: config.LIVE_STREAMS_PER_OPERATOR }),
    now,
    close: closeOnce(async () => {
      await bus.close().catch(() => undefined);
      redis?.commands.disconnect();
      redis?.subscriber.disconnect();
      await database.close().catch(() => undefined);
    }),
  };
}

/** `close` at most once: later calls wait for the first. */
function closeOnce(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => (closing ??= close());
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
