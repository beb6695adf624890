import 'server-only';
import { z } from 'zod';

/**
 * Environment variables of the inference domain, as a zod shape; src/server/config/env.ts merges every domain's
 * shape into the one schema that is parsed at start. docs/inference.md describes each.
 */
export const inferenceEnv = {
  /** Servers polled at the same time within one run. */
  POLL_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** Total time for one server's poll: every request it makes, connect to last body byte. */
  POLL_DEADLINE_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /** Largest response body read from a polled endpoint. */
  POLL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(64 * 1024 * 1024)
    .default(2 * 1024 * 1024),
  /** At most this many due servers are polled per run (the oldest-polled first); the rest wait for the next run. */
  POLL_MAX_SERVERS_PER_RUN: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** Samples older than this are deleted at the end of each poll run. */
  SAMPLE_RETENTION_DAYS: z.coerce.number().min(0.01).max(3_650).default(7),
  /** Most samples one poll run deletes, so a long backlog is cleared over several runs instead of one long delete. */
  SAMPLE_RETENTION_BATCH: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  /** `on` serves simulated inference endpoints of every kind (docs/inference.md "Demo fleet"). */
  DEMO_FLEET: z.enum(['on', 'off']).default('off'),
  /** Port of the demo fleet's HTTP server on DEMO_FLEET_HOST; 0 picks a free one (tests). */
  DEMO_FLEET_PORT: z.coerce.number().int().min(0).max(65_535).default(3190),
  DEMO_FLEET_HOST: z.string().min(1).default('127.0.0.1'),
};
