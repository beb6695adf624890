import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteRedisPrefix, REDIS_URL, redisAvailable, uniqueId } from '../testing/services';
import { type ChangeBus, type ChangeEvent, type Envelope, LocalChangeBus, RedisChangeBus } from './change-bus';
import { openRedis, waitUntilReady } from './redis-connection';

/** Everything a bus delivered to one subscriber, in order. */
function record(bus: ChangeBus): Envelope[] {
  const received: Envelope[] = [];
  bus.subscribe((event) => received.push(event));
  return received;
}

function keysOf(received: Envelope[]): string[] {
  return received.flatMap((event) => (event.type === 'automation' ? [event.key] : []));
}

/**
 * Publishes (a fresh event each time) until `received` shows one of them. Subscriptions complete asynchronously
 * and pub/sub drops messages sent before them, so this both waits for readiness and proves the path works.
 */
async function publishUntilReceived(from: ChangeBus, received: Envelope[], label: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    await from.publish({ type: 'automation', key: `${label}-${attempt}`, reason: 'probe' });
    await sleep(20);
    if (keysOf(received).some((key) => key.startsWith(`${label}-`))) return;
  }
  throw new Error(`no "${label}" probe arrived within 10 s`);
}

describe('LocalChangeBus', () => {
  it('delivers a published event to every local subscriber, stamped with its origin', async () => {
    const bus = new LocalChangeBus('instance-a');
    const first = record(bus);
    const second = record(bus);
    const before = Date.now();

    await bus.publish({ type: 'automation', key: 'alert-evaluation', reason: 'paused' });

    for (const received of [first, second]) {
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ type: 'automation', key: 'alert-evaluation', reason: 'paused', origin: 'instance-a' });
      expect(received[0]?.at).toBeGreaterThanOrEqual(before);
    }
    await bus.close();
  });

  it('stops delivering after unsubscribe, and a throwing subscriber does not starve the others', async () => {
    const bus = new LocalChangeBus('instance-a');
    const dropped: Envelope[] = [];
    const unsubscribe = bus.subscribe((event) => dropped.push(event));
    bus.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const kept = record(bus);

    unsubscribe();
    await bus.publish({ type: 'tokens' });

    expect(dropped).toEqual([]);
    expect(kept.map((event) => event.type)).toEqual(['tokens']);
    await bus.close();
  });
});

describe.skipIf(!redisAvailable)('RedisChangeBus', () => {
  const connections: Redis[] = [];
  const buses: ChangeBus[] = [];
  const prefixes: string[] = [];
  const busErrors: string[] = [];

  afterEach(async () => {
    expect(busErrors.splice(0)).toEqual([]);
    for (const bus of buses.splice(0)) await bus.close();
    for (const redis of connections.splice(0)) redis.disconnect();
    for (const prefix of prefixes.splice(0)) await deleteRedisPrefix(prefix);
  });

  function newPrefix(): string {
    const prefix = `${uniqueId('bus')}:`;
    prefixes.push(prefix);
    return prefix;
  }

  /** One instance's bus, with its own publisher and subscriber connection as the container builds them. */
  async function openBus(origin: string, prefix: string): Promise<RedisChangeBus> {
    const publisher = openRedis(REDIS_URL, () => undefined);
    const subscriber = openRedis(REDIS_URL, () => undefined, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    connections.push(publisher, subscriber);
    await waitUntilReady(publisher, 5000);
    const bus = new RedisChangeBus(origin, publisher, subscriber, prefix, (message) => busErrors.push(`${origin}: ${message}`));
    buses.push(bus);
    return bus;
  }

  it('delivers an event published on A once to B and once (locally, not again through Redis) to A', async () => {
    const prefix = newPrefix();
    const a = await openBus('instance-a', prefix);
    const b = await openBus('instance-b', prefix);
    const atA = record(a);
    const atB = record(b);
    await publishUntilReceived(a, atB, 'a-to-b');
    await publishUntilReceived(b, atA, 'b-to-a');

    const event: ChangeEvent = { type: 'automation', key: 'alert-evaluation', reason: 'paused' };
    await a.publish(event);
    await publishUntilReceived(a, atB, 'after-event-a');
    // B publishes only after the event reached it, so Redis hands A's own echo of the event to A's subscriber
    // before B's probe: once A sees the probe, an echo that slipped through would already be counted.
    await publishUntilReceived(b, atA, 'after-event-b');

    expect(atB.filter((e) => e.type === 'automation' && e.key === 'alert-evaluation')).toEqual([
      { ...event, origin: 'instance-a', at: expect.any(Number) },
    ]);
    expect(atA.filter((e) => e.type === 'automation' && e.key === 'alert-evaluation')).toEqual([
      { ...event, origin: 'instance-a', at: expect.any(Number) },
    ]);
  });

  it('keeps buses with different prefixes apart', async () => {
    const shared = newPrefix();
    const a = await openBus('instance-a', shared);
    const b = await openBus('instance-b', shared);
    const other = newPrefix();
    const c = await openBus('instance-c', other);
    const d = await openBus('instance-d', other);
    const atB = record(b);
    const atC = record(c);
    await publishUntilReceived(a, atB, 'a-to-b');
    await publishUntilReceived(d, atC, 'd-to-c');

    await a.publish({ type: 'automation', key: 'alert-evaluation', reason: 'paused' });
    await publishUntilReceived(a, atB, 'after-event');
    // D publishes after A's event reached Redis; had C's subscriber been on A's channel, the event would be
    // ahead of this probe on C's connection.
    await publishUntilReceived(d, atC, 'after-event-d');

    expect(keysOf(atB)).toContain('alert-evaluation');
    expect(keysOf(atC)).not.toContain('alert-evaluation');
    expect(atC.every((event) => event.origin === 'instance-d')).toBe(true);
  });
});
