import { Redis } from 'ioredis';

/**
 * Deletes every key under `prefix` on the Redis at `url`: the cleanup of a test's or a benchmark's own key
 * prefix. Side-effect free to import (unlike services.ts, which probes the servers when loaded).
 */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
