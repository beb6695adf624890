import 'server-only';
import { z } from 'zod';

/**
 * Environment variables of the runs' own logs (RunContext.log), merged into the one schema in config/env.ts.
 * docs/configuration.md describes each.
 */
export const automationsEnv = {
  /** Lines one run may store; the next line becomes a truncation marker and the rest are counted, not stored. */
  RUN_LOG_MAX_LINES: z.coerce.number().int().min(10).max(1_000_000).default(5_000),
  /** Bytes (message and fields, UTF-8) one run may store, under the same rule. */
  RUN_LOG_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(256 * 1024 * 1024)
    .default(1024 * 1024),
  /** While a run is going, buffered lines and its progress are written at most this often (and at every 100 lines). */
  RUN_LOG_FLUSH_MS: z.coerce.number().int().min(50).max(60_000).default(500),
};

/** What a run's log keeps and how often it is written (RunLog). */
export interface RunLogLimits {
  maxLines: number;
  maxBytes: number;
  flushMs: number;
}

export function runLogLimits(env: { RUN_LOG_MAX_LINES: number; RUN_LOG_MAX_BYTES: number; RUN_LOG_FLUSH_MS: number }): RunLogLimits {
  return { maxLines: env.RUN_LOG_MAX_LINES, maxBytes: env.RUN_LOG_MAX_BYTES, flushMs: env.RUN_LOG_FLUSH_MS };
}
