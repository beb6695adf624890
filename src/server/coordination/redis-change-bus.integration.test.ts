import { describe, expect, it } from 'vitest';
import { REDIS_URL, redisAvailable, uniqueId } from '../testing/services';
import { RedisChangeBus } from './change-bus';
import { openRedis, waitUntilReady } from './redis-connection';

describe.skipIf(!redisAvailable)('Redis change bus', () => {
  // Seen in CI on a loaded machine: the owner closed the bus's connections while its subscription was still on its
  // way, and the bus reported "Connection is closed." as a fault.
  it('reports nothing when its connections are closed before its subscription completes', async () => {
    const errors: string[] = [];
    for (let i = 0; i < 20; i++) {
      const publisher = openRedis(REDIS_URL, () => undefined);
      const subscriber = openRedis(REDIS_URL, () => undefined, { enableOfflineQueue: true, maxRetriesPerRequest: null });
      const bus = new RedisChangeBus('instance-a', publisher, subscriber, `${uniqueId('race')}:`, (message) => errors.push(`${subscriber.status}: ${message}`));
      await waitUntilReady(publisher, 5_000);
      await bus.publish({ type: 'tokens' });
      subscriber.disconnect();
      publisher.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(errors).toEqual([]);
  });
});
