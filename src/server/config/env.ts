import 'server-only';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { alertsEnv } from './alerts.config';
import { automationsEnv } from './automations.config';
import { sessionsEnv } from './sessions.config';
import { signInEnv } from './sign-in.config';
import { browserEnv } from './browser.config';
import { changeFeedEnv } from '../coordination/change-feed.config';
import { edgeEnv } from './edge.config';
import { inferenceEnv } from './inference.config';
import { outboundEnv } from '../net/outbound.config';
import { tenantsEnv } from './tenants.config';

const cronExpression = z
  .string()
  .trim()
  .regex(/^\S+(\s+\S+){4,5}$/, 'must be a cron expression with 5 or 6 fields (seconds first when 6)');

const onOff = z.enum(['on', 'off']);

const schema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
    /** PostgreSQL schema to use (tests isolate themselves with one schema each). */
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
      .optional(),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
    /** Prefix for every Redis key and channel (lets several consoles or test runs share one Redis). */
    REDIS_PREFIX: z.string().max(64).default('ac:'),
    INSTANCE_ID: z.string().min(1).max(128).optional(),
    SCHEDULER: onOff.default('on'),
    CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
    CONSOLE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    CONSOLE_ADMIN_EMAIL: z.email().optional(),
    CONSOLE_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
    AUTOMATION_SCHEDULE_ALERT_EVALUATION: cronExpression.optional(),
    AUTOMATION_SCHEDULE_INFERENCE_MONITORING_POLL: cronExpression.optional(),
    AUTOMATION_SCHEDULE_BROWSER_SESSION_REAPER: cronExpression.optional(),
    /** Longest a single run may take before it is aborted and recorded as failed. */
    RUN_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1000)
      .default(5 * 60_000),
    /** How long SIGTERM waits for in-flight runs before recording them as failed and exiting. */
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
    /** Requests per minute one API token may make. */
    API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    RUN_RETENTION_PER_AUTOMATION: z.coerce.number().int().min(10).default(1000),
    RUN_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    /** `on` serves the benchmarks' baseline route (GET /api/bench/constant); off, it answers 404 like any unknown path. */
    BENCH_ROUTES: onOff.default('off'),
  })
  .extend(automationsEnv)
  .extend(tenantsEnv)
  .extend(inferenceEnv)
  .extend(browserEnv)
  .extend(alertsEnv)
  .extend(sessionsEnv)
  .extend(changeFeedEnv)
  .extend(outboundEnv)
  .extend(edgeEnv)
  .extend(signInEnv);

export type RawEnv = z.infer<typeof schema>;

export interface Config extends RawEnv {
  instanceId: string;
  dataDir: string;
  /** cron overrides keyed by automation key */
  scheduleOverrides: Record<string, string | undefined>;
}

/** Parses the environment once; throws an Error listing every bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  return {
    ...env,
    instanceId: env.INSTANCE_ID ?? `${os.hostname()}:${env.PORT}`,
    dataDir: path.resolve(env.DATA_DIR),
    scheduleOverrides: {
      'alert-evaluation': env.AUTOMATION_SCHEDULE_ALERT_EVALUATION,
      'inference-monitoring-poll': env.AUTOMATION_SCHEDULE_INFERENCE_MONITORING_POLL,
      'browser-session-reaper': env.AUTOMATION_SCHEDULE_BROWSER_SESSION_REAPER,
    },
  };
}

/** The variable name that overrides an automation's schedule, e.g. AUTOMATION_SCHEDULE_ALERT_EVALUATION. */
export function scheduleVariable(key: string): string {
  return `AUTOMATION_SCHEDULE_${key.toUpperCase().replaceAll('-', '_')}`;
}
