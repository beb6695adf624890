import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../errors';
import { deleteRedisPrefix, REDIS_URL, redisAvailable, uniqueId } from '../testing/services';
import { lockProviderContract } from './lock-provider.contract';
import { openRedis, waitUntilReady } from './redis-connection';
import { RedisLockProvider } from './redis-lock-provider';

const ignoreConnectionErrors = () => undefined;

describe.skipIf(!redisAvailable)('RedisLockProvider', () => {
  // One prefix per test: tests share one Redis with every other test file running in parallel.
  lockProviderContract('redis', async () => {
    const prefix = `${uniqueId('lock')}:`;
    const redis = openRedis(REDIS_URL, ignoreConnectionErrors);
    await waitUntilReady(redis, 5000);
    return {
      provider: new RedisLockProvider(redis, prefix),
      cleanup: async () => {
        redis.disconnect();
        await deleteRedisPrefix(prefix);
      },
    };
  });

  describe('with the Redis server unreachable', () => {
    let redis: Redis | undefined;

    afterEach(() => {
      redis?.disconnect();
    });

    it('rejects every method with LOCK_STORE_UNAVAILABLE instead of hanging', async () => {
      redis = openRedis('redis://127.0.0.1:1', ignoreConnectionErrors);
      const locks = new RedisLockProvider(redis, `${uniqueId('lock')}:`);
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['claimSlot', () => locks.claimSlot('alert-evaluation', '1700000000000', 60_000)],
        ['acquire', () => locks.acquire('run:alert-evaluation', 60_000, 'instance-a')],
        ['extend', () => locks.extend('run:alert-evaluation', 'token', 60_000)],
        ['release', () => locks.release('run:alert-evaluation', 'token')],
        ['holder', () => locks.holder('run:alert-evaluation')],
        ['ping', () => locks.ping()],
      ];
      for (const [method, call] of calls) {
        const error = await call().then(
          () => new Error(`${method} resolved although Redis is unreachable`),
          (rejection: unknown) => rejection,
        );
        expect(isAppError(error) ? error.code : error, method).toBe('LOCK_STORE_UNAVAILABLE');
      }
    });
  });
});
