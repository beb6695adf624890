import 'server-only';
import { z } from 'zod';

const milliseconds = (fallback: number) => z.coerce.number().int().min(1000, 'must be at least 1000 (ms)').default(fallback);

/**
 * Environment variables of the browser domain, as a zod shape; src/server/config/env.ts merges every domain's
 * shape into the one schema that is parsed at start. Relations between them (a default must not exceed its
 * limit) are checked by {@link browserSettings}, which the module calls while the container is built.
 */
export const browserEnv = {
  /** Live sessions one instance's runtime may hold; each costs a Chromium context (≈ 70 MB). */
  BROWSER_MAX_SESSIONS: z.coerce.number().int().min(1).max(200).default(5),
  /** Idle timeout of a session created without `idleTimeoutMs`. */
  BROWSER_IDLE_TIMEOUT_MS: milliseconds(5 * 60_000),
  /** Largest `idleTimeoutMs` a client may ask for. */
  BROWSER_IDLE_TIMEOUT_MAX_MS: milliseconds(60 * 60_000),
  /** Max lifetime of a session created without `maxLifetimeMs`. */
  BROWSER_MAX_LIFETIME_MS: milliseconds(30 * 60_000),
  /** Largest `maxLifetimeMs` a client may ask for. */
  BROWSER_MAX_LIFETIME_MAX_MS: milliseconds(4 * 60 * 60_000),
  /** How long creating a session or navigating waits for the page's load event. */
  BROWSER_NAVIGATION_TIMEOUT_MS: milliseconds(30_000),
  /** Ended sessions (and their thumbnails) are deleted by the reaper this many days after they ended. */
  BROWSER_SESSION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
};

export interface BrowserSettings {
  chromiumPath: string;
  maxSessions: number;
  idleTimeout: { defaultMs: number; maxMs: number };
  maxLifetime: { defaultMs: number; maxMs: number };
  navigationTimeoutMs: number;
  retentionMs: number;
}

type BrowserEnv = { [K in keyof typeof browserEnv]: z.infer<(typeof browserEnv)[K]> } & { CHROMIUM_PATH: string };

/** The browser settings of the parsed configuration; throws an Error in the env parser's format when they contradict each other. */
export function browserSettings(env: BrowserEnv): BrowserSettings {
  const problems: string[] = [];
  if (env.BROWSER_IDLE_TIMEOUT_MS > env.BROWSER_IDLE_TIMEOUT_MAX_MS) {
    problems.push(`BROWSER_IDLE_TIMEOUT_MS: must not exceed BROWSER_IDLE_TIMEOUT_MAX_MS (${env.BROWSER_IDLE_TIMEOUT_MAX_MS})`);
  }
  if (env.BROWSER_MAX_LIFETIME_MS > env.BROWSER_MAX_LIFETIME_MAX_MS) {
    problems.push(`BROWSER_MAX_LIFETIME_MS: must not exceed BROWSER_MAX_LIFETIME_MAX_MS (${env.BROWSER_MAX_LIFETIME_MAX_MS})`);
  }
  if (problems.length > 0) throw new Error(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    chromiumPath: env.CHROMIUM_PATH,
    maxSessions: env.BROWSER_MAX_SESSIONS,
    idleTimeout: { defaultMs: env.BROWSER_IDLE_TIMEOUT_MS, maxMs: env.BROWSER_IDLE_TIMEOUT_MAX_MS },
    maxLifetime: { defaultMs: env.BROWSER_MAX_LIFETIME_MS, maxMs: env.BROWSER_MAX_LIFETIME_MAX_MS },
    navigationTimeoutMs: env.BROWSER_NAVIGATION_TIMEOUT_MS,
    retentionMs: env.BROWSER_SESSION_RETENTION_DAYS * 86_400_000,
  };
}
