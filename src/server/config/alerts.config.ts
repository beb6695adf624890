import 'server-only';
import { z } from 'zod';

/**
 * Environment variables of the alerts domain, as a zod shape; src/server/config/env.ts merges every domain's
 * shape into the one schema that is parsed at start.
 */
export const alertsEnv = {
  /** Webhook deliveries one instance has in flight at most. */
  ALERTS_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** How often each instance's delivery worker looks for due notifications (it is also woken by evaluations). */
  ALERTS_DELIVERY_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  /** Total time for one webhook request: connect, send, response headers and body. */
  ALERTS_WEBHOOK_DEADLINE_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Attempts per notification before it is marked failed. */
  ALERTS_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** Wait before the first retry; doubles with each further attempt, up to the maximum. */
  ALERTS_DELIVERY_BACKOFF_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(5000),
  ALERTS_DELIVERY_BACKOFF_MAX_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400_000)
    .default(15 * 60_000),
  /** Resolved incidents (with their timeline and notifications) are deleted this long after they resolved. */
  INCIDENT_RETENTION_DAYS: z.coerce.number().min(0.01).max(3_650).default(90),
  /** Most resolved incidents one evaluation run deletes. */
  INCIDENT_RETENTION_BATCH: z.coerce.number().int().min(10).max(100_000).default(500),
};

export interface AlertsConfig {
  deliveryConcurrency: number;
  deliveryPollMs: number;
  webhookDeadlineMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  retentionMs: number;
  retentionBatch: number;
}

export function alertsConfig(env: { [K in keyof typeof alertsEnv]: z.infer<(typeof alertsEnv)[K]> }): AlertsConfig {
  return {
    deliveryConcurrency: env.ALERTS_DELIVERY_CONCURRENCY,
    deliveryPollMs: env.ALERTS_DELIVERY_POLL_MS,
    webhookDeadlineMs: env.ALERTS_WEBHOOK_DEADLINE_MS,
    maxAttempts: env.ALERTS_DELIVERY_MAX_ATTEMPTS,
    backoffBaseMs: env.ALERTS_DELIVERY_BACKOFF_BASE_MS,
    backoffMaxMs: Math.max(env.ALERTS_DELIVERY_BACKOFF_MAX_MS, env.ALERTS_DELIVERY_BACKOFF_BASE_MS),
    retentionMs: Math.round(env.INCIDENT_RETENTION_DAYS * 86_400_000),
    retentionBatch: env.INCIDENT_RETENTION_BATCH,
  };
}
