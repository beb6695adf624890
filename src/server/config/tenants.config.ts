import 'server-only';
import { z } from 'zod';

const count = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/**
 * Environment variables of the tenants domain, as a zod shape; src/server/config/env.ts merges every domain's
 * shape into the one schema that is parsed at start. They are the per-tenant quotas (docs/api.md "Quotas"): what
 * one tenant may own, so that no tenant can exhaust what the others share. Generous, but finite.
 */
export const tenantsEnv = {
  /**
   * Live browser sessions one tenant may hold across all instances. Kept below BROWSER_MAX_SESSIONS (the
   * instance's capacity), so one tenant can never take every slot of an instance: see {@link tenantQuotas}.
   */
  TENANT_MAX_BROWSER_SESSIONS: count(200, 3),
  /** Inference servers one tenant may have registered. */
  TENANT_MAX_INFERENCE_SERVERS: count(1_000_000, 500),
  /** Alert rules one tenant may have. */
  TENANT_MAX_ALERT_RULES: count(1_000_000, 500),
  /** Notification channels (webhook and Slack, over all its rules) one tenant may have. */
  TENANT_MAX_NOTIFICATION_CHANNELS: count(1_000_000, 50),
  /** Shortest poll interval a tenant-restricted token may set; the platform (operators, unrestricted tokens) keeps 10. */
  TENANT_MIN_POLL_INTERVAL_SECONDS: z.coerce.number().int().min(10).max(3_600).default(30),
  /** Model names stored per sample (the rest of what a server reports is dropped). */
  TENANT_MAX_MODELS_PER_SAMPLE: count(10_000, 100),
  /** Characters kept of each stored model name (longer names are cut). */
  TENANT_MAX_MODEL_NAME_LENGTH: count(10_000, 200),
};

/** The quotas in force, as the services use them. */
export interface TenantQuotas {
  browserSessions: number;
  inferenceServers: number;
  alertRules: number;
  notificationChannels: number;
  minPollIntervalSeconds: number;
  modelsPerSample: number;
  modelNameLength: number;
}

type TenantsEnv = { [K in keyof typeof tenantsEnv]: z.infer<(typeof tenantsEnv)[K]> } & { BROWSER_MAX_SESSIONS: number };

/**
 * The quotas of the parsed configuration. The browser-session quota is a fair share of an instance: at most one
 * less than BROWSER_MAX_SESSIONS (when that is above 1), so a tenant at its quota always leaves a slot of every
 * instance to the others. A TENANT_MAX_BROWSER_SESSIONS at or above the instance's capacity is lowered to that.
 */
export function tenantQuotas(env: TenantsEnv): TenantQuotas {
  const fairShare = env.BROWSER_MAX_SESSIONS > 1 ? env.BROWSER_MAX_SESSIONS - 1 : 1;
  return {
    browserSessions: Math.min(env.TENANT_MAX_BROWSER_SESSIONS, fairShare),
    inferenceServers: env.TENANT_MAX_INFERENCE_SERVERS,
    alertRules: env.TENANT_MAX_ALERT_RULES,
    notificationChannels: env.TENANT_MAX_NOTIFICATION_CHANNELS,
    minPollIntervalSeconds: env.TENANT_MIN_POLL_INTERVAL_SECONDS,
    modelsPerSample: env.TENANT_MAX_MODELS_PER_SAMPLE,
    modelNameLength: env.TENANT_MAX_MODEL_NAME_LENGTH,
  };
}

/** Quotas high enough to never matter, for services built outside the composition root (tests, tools). */
export const UNLIMITED_QUOTAS: TenantQuotas = {
  browserSessions: Number.MAX_SAFE_INTEGER,
  inferenceServers: Number.MAX_SAFE_INTEGER,
  alertRules: Number.MAX_SAFE_INTEGER,
  notificationChannels: Number.MAX_SAFE_INTEGER,
  minPollIntervalSeconds: 10,
  modelsPerSample: Number.MAX_SAFE_INTEGER,
  modelNameLength: Number.MAX_SAFE_INTEGER,
};
