import 'server-only';
import { z } from 'zod';

/**
 * Environment variables of the change bus's database carrier (coordination/database-change-bus.ts), merged into
 * the one schema in config/env.ts. docs/configuration.md describes each.
 */
export const changeFeedEnv = {
  /** How often a process without Redis reads the `changes` table for other processes' events. */
  CHANGE_FEED_POLL_MS: z.coerce.number().int().min(25).max(1_000).default(150),
};
