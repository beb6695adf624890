import 'server-only';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** Where counters live: Redis (one count for every instance) when configured, else this process's memory. */
export interface LimiterStore {
  redis: Redis | null;
  /** REDIS_PREFIX; every limiter's keys start with `<prefix>rl:<name>:`. */
  prefix: string;
}

export type Verdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * A rate-limiter-flexible limiter of `points` per `durationSeconds`. On Redis it is shared by every instance; while
 * Redis is unreachable the same limits hold per instance (an in-memory insurance limiter), so a Redis outage
 * neither opens the gates nor refuses everyone.
 */
export function createLimiter(store: LimiterStore, name: string, points: number, durationSeconds: number): RateLimiterAbstract {
  const keyPrefix = `${store.prefix}rl:${name}`;
  const memory = new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds });
  if (!store.redis) return memory;
  return new RateLimiterRedis({
    storeClient: store.redis,
    keyPrefix,
    points,
    duration: durationSeconds,
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/** Consumes `points` for `key`; refused when the key is over its limit. Store faults propagate. */
export async function consume(limiter: RateLimiterAbstract, key: string, points = 1): Promise<Verdict> {
  try {
    await limiter.consume(key, points);
    return { allowed: true };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: retryAfterSeconds(rejection.msBeforeNext) };
    throw rejection;
  }
}

/** How many points `key` has used in its current window (0 when none), and when that window ends. */
export async function used(limiter: RateLimiterAbstract, key: string): Promise<{ points: number; msBeforeNext: number }> {
  const res = await limiter.get(key);
  return res ? { points: res.consumedPoints, msBeforeNext: res.msBeforeNext } : { points: 0, msBeforeNext: 0 };
}
