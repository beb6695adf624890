import 'server-only';
import { z } from 'zod';

/**
 * Environment variables of the HTTP edge (who is calling, what a caller not yet known may make the process do),
 * as a zod shape merged into the one schema in env.ts. It sits in config/, not in http/, because env.ts is read by
 * every layer and may not import an adapter. docs/configuration.md describes each.
 */
export const edgeEnv = {
  /**
   * Reverse proxies in front of the console whose X-Forwarded-For / X-Forwarded-Proto entries are believed.
   * 0: the client is the socket's peer and those headers are ignored.
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** The session cookie's Secure flag: `auto` follows https as seen through the trusted hops. */
  COOKIE_SECURE: z.enum(['auto', 'always', 'never']).default('auto'),
  /** Largest tRPC request body, counted while it streams in; past it the answer is 413. */
  TRPC_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(16 * 1024 * 1024)
    .default(256 * 1024),
  /** Longest tRPC query string (GET batches carry their inputs there). At least 8 KiB: the console's link stays under 6,000. */
  TRPC_MAX_QUERY_BYTES: z.coerce
    .number()
    .int()
    .min(8 * 1024)
    .max(64 * 1024)
    .default(8 * 1024),
  /** Most calls one tRPC batch may hold. At least 16: the console's own batch link sends up to 16. */
  TRPC_MAX_BATCH_SIZE: z.coerce.number().int().min(16).max(256).default(16),
  /** Failed API-token authentications one client may make per minute before 429 (forged tokens included). */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
  /**
   * Browser origins (`https://tools.example.com`, comma-separated) whose pages may call the client API with a token
   * (CORS). Empty: no cross-origin access but to the public OpenAPI document, which any origin may read.
   */
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    )
    .refine((origins) => origins.every(isOrigin), 'Each entry must be an origin: scheme://host[:port], without path, wildcard or trailing slash'),
  /**
   * Live (SSE) subscriptions open at once on this instance. The default is from the measured fan-out of one
   * instance on 2 cores (docs/performance.md "Live fan-out"): at 5,000 streams a pause reached them all in 140 ms at
   * p95 on a quiet machine (≈ 0.3 s under heavy load) with /api/health p95 under 40 ms; at 10,000, 229 ms.
   */
  LIVE_STREAMS_MAX: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
  /** Live subscriptions one operator may hold open at once on this instance. */
  LIVE_STREAMS_PER_OPERATOR: z.coerce.number().int().min(1).max(10_000).default(20),
};

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}
