import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../errors';
import { REDIS_URL, deleteRedisPrefix, redisAvailable, uniqueId } from '../testing/services';
import { ApiLimits } from './api-limits';
import type { LimiterStore } from './limiters';
import { SignInGuard, type SignInGuardConfig } from './sign-in-guard';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The real stores: rate-limiter-flexible in memory, and on the local Redis under a prefix of the test's own. The
 * Redis client is ready before any test uses it (until then the limiter would count in its in-memory insurance).
 */
let redis: Redis | null = null;
const prefixes: string[] = [];
function store(kind: 'memory' | 'redis', prefix = `${uniqueId('rl')}:`): LimiterStore {
  if (kind === 'memory') return { redis: null, prefix };
  if (!redis) throw new Error('redis not connected');
  prefixes.push(prefix);
  return { redis, prefix };
}

beforeAll(async () => {
  if (!redisAvailable) return;
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await redis.ping();
});

afterAll(async () => {
  redis?.disconnect();
  for (const p of prefixes) await deleteRedisPrefix(p);
});

const GUARD: SignInGuardConfig = {
  concurrency: 2,
  queue: 4,
  freeAttempts: 2,
  backoffBaseSeconds: 1,
  backoffMaxSeconds: 60,
  clientFailures: 5,
  accountFailures: 4,
};

const right = async () => ({ ok: true as const, value: 'signed-in' });
const wrong = async () => ({ ok: false as const, error: new AppError('UNAUTHENTICATED', 'wrong password') });

/** The error code of an attempt, or 'ok'. */
async function outcome(guard: SignInGuard, account: string, client: string, verify: typeof right | typeof wrong): Promise<string> {
  try {
    await guard.attempt(account, client, verify);
    return 'ok';
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
}

for (const kind of ['memory', 'redis'] as const) {
  describe.skipIf(kind === 'redis' && !redisAvailable)(`limits on ${kind}`, () => {
    it('allows a token its requests per minute, then refuses with a Retry-After within the minute', async () => {
      const limits = new ApiLimits(store(kind), { perTokenPerMinute: 3, failuresPerMinute: 100 });
      const verdicts = [];
      for (let i = 0; i < 4; i++) verdicts.push(await limits.hitToken('token-a'));
      expect(verdicts.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
      const last = verdicts[3];
      expect(last?.allowed).toBe(false);
      if (last && !last.allowed) expect(last.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      if (last && !last.allowed) expect(last.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(await limits.hitToken('token-b')).toEqual({ allowed: true });
    });

    it('refuses a client that failed authentication too often, and only that client', async () => {
      const limits = new ApiLimits(store(kind), { perTokenPerMinute: 100, failuresPerMinute: 3 });
      for (let i = 0; i < 3; i++) {
        expect((await limits.mayAuthenticate('10.0.0.1')).allowed).toBe(true);
        await limits.recordFailure('10.0.0.1');
      }
      expect((await limits.mayAuthenticate('10.0.0.1')).allowed).toBe(false);
      expect((await limits.mayAuthenticate('10.0.0.2')).allowed).toBe(true);
    });

    it('backs off one client on one account after its free failures; a success clears it', async () => {
      const guard = new SignInGuard(store(kind), { ...GUARD, accountFailures: 100 });
      expect(await outcome(guard, 'a@x', 'c1', wrong)).toBe('UNAUTHENTICATED');
      expect(await outcome(guard, 'a@x', 'c1', wrong)).toBe('UNAUTHENTICATED');
      // Two free failures spent: blocked for 1 s, even with the right password.
      expect(await outcome(guard, 'a@x', 'c1', right)).toBe('RATE_LIMITED');
      await sleep(1_100);
      expect(await outcome(guard, 'a@x', 'c1', wrong)).toBe('UNAUTHENTICATED');
      // The backoff doubled: still blocked after 1.1 s, open after 2.
      await sleep(1_100);
      expect(await outcome(guard, 'a@x', 'c1', right)).toBe('RATE_LIMITED');
      await sleep(1_000);
      expect(await outcome(guard, 'a@x', 'c1', right)).toBe('ok');
      expect(await outcome(guard, 'a@x', 'c1', wrong)).toBe('UNAUTHENTICATED');
      expect(await outcome(guard, 'a@x', 'c1', wrong)).toBe('UNAUTHENTICATED');
      expect(await outcome(guard, 'a@x', 'c1', right)).toBe('RATE_LIMITED');
    });

    it('limits one client across accounts (spraying)', async () => {
      const guard = new SignInGuard(store(kind), GUARD);
      for (let i = 0; i < 5; i++) expect(await outcome(guard, `user${i}@x`, 'sprayer', wrong)).toBe('UNAUTHENTICATED');
      expect(await outcome(guard, 'fresh@x', 'sprayer', wrong)).toBe('RATE_LIMITED');
      expect(await outcome(guard, 'fresh@x', 'someone-else', right)).toBe('ok');
    });

    it('a spent account budget slows only clients that failed on it; the owner from a new client gets in', async () => {
      const guard = new SignInGuard(store(kind), GUARD);
      for (const client of ['g1', 'g2']) {
        expect(await outcome(guard, 'admin@x', client, wrong)).toBe('UNAUTHENTICATED');
        expect(await outcome(guard, 'admin@x', client, wrong)).toBe('UNAUTHENTICATED');
      }
      // Four failures: the account's budget is spent. A guesser is refused even after its own backoff ends…
      await sleep(1_100);
      expect(await outcome(guard, 'admin@x', 'g1', right)).toBe('RATE_LIMITED');
      // …while a client that never failed signs in at once, and one that fails once is then held back.
      expect(await outcome(guard, 'admin@x', 'owner', right)).toBe('ok');
      expect(await outcome(guard, 'admin@x', 'g3', wrong)).toBe('UNAUTHENTICATED');
      expect(await outcome(guard, 'admin@x', 'g3', right)).toBe('RATE_LIMITED');
    });

    if (kind === 'redis') {
      it('shares counts between instances (two guards on one prefix)', async () => {
        const prefix = `${uniqueId('rl')}:`;
        const a = new SignInGuard(store('redis', prefix), GUARD);
        const b = new SignInGuard(store('redis', prefix), GUARD);
        expect(await outcome(a, 'a@x', 'c1', wrong)).toBe('UNAUTHENTICATED');
        expect(await outcome(b, 'a@x', 'c1', wrong)).toBe('UNAUTHENTICATED');
        expect(await outcome(a, 'a@x', 'c1', right)).toBe('RATE_LIMITED');
        expect(await outcome(b, 'a@x', 'c1', right)).toBe('RATE_LIMITED');
        const limitsA = new ApiLimits(store('redis', prefix), { perTokenPerMinute: 4, failuresPerMinute: 100 });
        const limitsB = new ApiLimits(store('redis', prefix), { perTokenPerMinute: 4, failuresPerMinute: 100 });
        const allowed = (await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? limitsA : limitsB).hitToken('t')))).filter((v) => v.allowed);
        expect(allowed).toHaveLength(4);
      });
    }
  });
}

describe('the verification gate', () => {
  it('runs at most `concurrency` verifications, queues a bounded number, refuses the rest at once', async () => {
    const guard = new SignInGuard(store('memory'), { ...GUARD, concurrency: 2, queue: 2, clientFailures: 100, accountFailures: 100 });
    let running = 0;
    let peak = 0;
    const slow = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(100);
      running--;
      return { ok: true as const, value: 'ok' };
    };
    // Six clients at once (each may have two in progress): 2 run, 2 wait, 2 are refused.
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => outcome(guard, `u${i}@x`, `client-${i}`, slow)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(4);
    expect(results.filter((r) => r === 'RATE_LIMITED')).toHaveLength(2);
    expect(peak).toBe(2);
    expect(guard.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('lets one client have at most two sign-ins in progress', async () => {
    const guard = new SignInGuard(store('memory'), { ...GUARD, clientFailures: 100, accountFailures: 100 });
    const slow = async () => {
      await sleep(50);
      return { ok: true as const, value: 'ok' };
    };
    const results = await Promise.all(Array.from({ length: 3 }, (_, i) => outcome(guard, `u${i}@x`, 'one-client', slow)));
    expect(results.sort()).toEqual(['RATE_LIMITED', 'ok', 'ok']);
  });
});
