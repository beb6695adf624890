import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestContainer, testContainer } from '../testing/container';
import { deleteRedisPrefix, dropSchema, POSTGRES_URL, postgresAvailable, REDIS_URL, redisAvailable, tempDir, uniqueId } from '../testing/services';
import { type AutomationChange, type ChangeBus, type ChangeEvent, type Envelope, LocalChangeBus, RedisChangeBus } from './change-bus';
import { DatabaseChangeBus } from './database-change-bus';
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
    await from.publish({ type: 'automation', key: `${label}-${attempt}`, reason: 'run-started' });
    await sleep(20);
    if (keysOf(received).some((key) => key.startsWith(`${label}-`))) return;
  }
  throw new Error(`no "${label}" probe arrived within 10 s`);
}

/** One event of every automation reason: a reason cannot be added without a case here. */
const AUTOMATION_CHANGES: Record<AutomationChange['reason'], AutomationChange> = {
  'run-started': { type: 'automation', key: 'alert-evaluation', reason: 'run-started' },
  'run-finished': { type: 'automation', key: 'alert-evaluation', reason: 'run-finished' },
  'run-abandoned': { type: 'automation', key: 'inference-monitoring-poll', reason: 'run-abandoned' },
  paused: { type: 'automation', key: 'alert-evaluation', reason: 'paused' },
  resumed: { type: 'automation', key: 'alert-evaluation', reason: 'resumed' },
  'lock-store-health': { type: 'automation', key: '*', reason: 'lock-store-health' },
  'browser-sessions': { type: 'automation', key: 'browser-session-reaper', reason: 'browser-sessions' },
};

/** One event of every other type, likewise. */
const OTHER_CHANGES: Record<Exclude<ChangeEvent['type'], 'automation'>, ChangeEvent> = {
  'browser-sessions': { type: 'browser-sessions' },
  tokens: { type: 'tokens' },
  operators: { type: 'operators' },
  sessions: { type: 'sessions', operatorId: 'operator-1' },
  instances: { type: 'instances' },
  'run-request': { type: 'run-request', key: 'browser-session-reaper', requestId: 'request-1', actor: 'token:ops' },
  'run-reply': { type: 'run-reply', key: 'browser-session-reaper', requestId: 'request-1', ok: false, error: 'Browser runtime is unavailable' },
  'browser-action': { type: 'browser-action', requestId: 'request-2', target: 'instance-b', action: 'close', args: ['00000000-0000-4000-8000-000000000000'] },
  'browser-action-reply': {
    type: 'browser-action-reply',
    requestId: 'request-2',
    phase: 'done',
    error: { code: 'NOT_FOUND', message: 'Browser session not found' },
  },
};

const EVERY_CHANGE: ChangeEvent[] = [...Object.values(AUTOMATION_CHANGES), ...Object.values(OTHER_CHANGES)];

/** What arrived, without the readiness probes. */
function withoutProbes(received: Envelope[]): Envelope[] {
  return received.filter((event) => !(event.type === 'automation' && event.key.includes('-probe-')));
}

/**
 * One carrier of the change bus as the contract sees it: `open(origin, space)` gives one process's bus, and buses
 * opened in the same space are meant to hear each other.
 */
interface Carrier {
  name: string;
  available: boolean;
  /** Whether buses of one space are separate processes' buses (false: the in-process bus, which has no others). */
  crossProcess: boolean;
  newSpace(): Promise<string>;
  open(origin: string, space: string): Promise<ChangeBus>;
  /** Problems the carrier reported; the contract expects none. */
  errors: string[];
  cleanup(): Promise<void>;
}

function changeBusContract(carrier: Carrier): void {
  describe.skipIf(!carrier.available)(`change bus contract: ${carrier.name}`, () => {
    afterEach(async () => {
      await carrier.cleanup();
      expect(carrier.errors.splice(0)).toEqual([]);
    });

    it('delivers a published event to every local subscriber at once, stamped with its origin', async () => {
      const bus = await carrier.open('instance-a', await carrier.newSpace());
      const first = record(bus);
      const second = record(bus);
      const before = Date.now();

      await bus.publish({ type: 'automation', key: 'alert-evaluation', reason: 'paused' });

      for (const received of [first, second]) {
        expect(received).toHaveLength(1);
        expect(received[0]).toMatchObject({ type: 'automation', key: 'alert-evaluation', reason: 'paused', origin: 'instance-a' });
        expect(received[0]?.at).toBeGreaterThanOrEqual(before);
      }
    });

    it('stops delivering after unsubscribe, and a throwing subscriber does not starve the others', async () => {
      const bus = await carrier.open('instance-a', await carrier.newSpace());
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
    });

    it.skipIf(!carrier.crossProcess)('delivers an event published on A once to B and once (locally, not again through the carrier) to A', async () => {
      const space = await carrier.newSpace();
      const a = await carrier.open('instance-a', space);
      const b = await carrier.open('instance-b', space);
      const atA = record(a);
      const atB = record(b);
      await publishUntilReceived(a, atB, 'a-to-b');
      await publishUntilReceived(b, atA, 'b-to-a');

      const event: ChangeEvent = { type: 'automation', key: 'alert-evaluation', reason: 'paused' };
      await a.publish(event);
      await publishUntilReceived(a, atB, 'after-event-a');
      // B publishes only after the event reached it, so the carrier hands A's own echo of the event to A before
      // B's probe (both carriers keep order): once A sees the probe, an echo that slipped through would be counted.
      await publishUntilReceived(b, atA, 'after-event-b');

      expect(atB.filter((e) => e.type === 'automation' && e.key === 'alert-evaluation')).toEqual([{ ...event, origin: 'instance-a', at: expect.any(Number) }]);
      expect(atA.filter((e) => e.type === 'automation' && e.key === 'alert-evaluation')).toEqual([{ ...event, origin: 'instance-a', at: expect.any(Number) }]);
    });

    it('carries every type of change event, and every reason of an automation change, unchanged and in order', async () => {
      const space = await carrier.newSpace();
      const a = await carrier.open('instance-a', space);
      const atA = record(a);
      const b = carrier.crossProcess ? await carrier.open('instance-b', space) : null;
      const atB = b ? record(b) : [];
      if (b) await publishUntilReceived(a, atB, 'typed-probe-ready');

      for (const event of EVERY_CHANGE) await a.publish(event);
      if (b) await publishUntilReceived(a, atB, 'typed-probe-after');

      const asPublished = EVERY_CHANGE.map((event) => ({ ...event, origin: 'instance-a', at: expect.any(Number) }));
      expect(withoutProbes(atA)).toEqual(asPublished);
      if (b) expect(withoutProbes(atB)).toEqual(asPublished);
    });

    it.skipIf(!carrier.crossProcess)('two processes with the same instance id (the console and its CLI) still hear each other', async () => {
      const space = await carrier.newSpace();
      const consoleBus = await carrier.open('same-instance', space);
      const cli = await carrier.open('same-instance', space);
      const atConsole = record(consoleBus);
      await publishUntilReceived(cli, atConsole, 'cli-to-console');

      await cli.publish({ type: 'tokens' });
      await publishUntilReceived(cli, atConsole, 'after-revoke');

      expect(atConsole.filter((e) => e.type === 'tokens')).toEqual([{ type: 'tokens', origin: 'same-instance', at: expect.any(Number) }]);
    });

    it.skipIf(!carrier.crossProcess)('keeps buses of different spaces apart', async () => {
      const shared = await carrier.newSpace();
      const a = await carrier.open('instance-a', shared);
      const b = await carrier.open('instance-b', shared);
      const other = await carrier.newSpace();
      const c = await carrier.open('instance-c', other);
      const d = await carrier.open('instance-d', other);
      const atB = record(b);
      const atC = record(c);
      await publishUntilReceived(a, atB, 'a-to-b');
      await publishUntilReceived(d, atC, 'd-to-c');

      await a.publish({ type: 'automation', key: 'alert-evaluation', reason: 'paused' });
      await publishUntilReceived(a, atB, 'after-event');
      // D publishes after A's event was carried; had C been in A's space, the event would be ahead of this probe.
      await publishUntilReceived(d, atC, 'after-event-d');

      expect(keysOf(atB)).toContain('alert-evaluation');
      expect(keysOf(atC)).not.toContain('alert-evaluation');
      expect(atC.filter((event) => event.type === 'automation').every((event) => event.origin === 'instance-d')).toBe(true);
    });
  });
}

function inProcess(): Carrier {
  const buses: ChangeBus[] = [];
  return {
    name: 'in-process (LocalChangeBus)',
    available: true,
    crossProcess: false,
    errors: [],
    newSpace: async () => uniqueId('space'),
    async open(origin) {
      const bus = new LocalChangeBus(origin);
      buses.push(bus);
      return bus;
    },
    async cleanup() {
      for (const bus of buses.splice(0)) await bus.close();
    },
  };
}

function redis(): Carrier {
  const connections: Redis[] = [];
  const buses: ChangeBus[] = [];
  const prefixes: string[] = [];
  const errors: string[] = [];
  return {
    name: 'Redis pub/sub',
    available: redisAvailable,
    crossProcess: true,
    errors,
    async newSpace() {
      const prefix = `${uniqueId('bus')}:`;
      prefixes.push(prefix);
      return prefix;
    },
    /** One process's bus, with its own publisher and subscriber connection as the container builds them. */
    async open(origin, prefix) {
      const publisher = openRedis(REDIS_URL, () => undefined);
      const subscriber = openRedis(REDIS_URL, () => undefined, { enableOfflineQueue: true, maxRetriesPerRequest: null });
      connections.push(publisher, subscriber);
      await waitUntilReady(publisher, 5000);
      const bus = new RedisChangeBus(origin, publisher, subscriber, prefix, (message) => errors.push(`${origin}: ${message}`));
      buses.push(bus);
      return bus;
    },
    async cleanup() {
      for (const bus of buses.splice(0)) await bus.close();
      for (const connection of connections.splice(0)) connection.disconnect();
      for (const prefix of prefixes.splice(0)) await deleteRedisPrefix(prefix);
    },
  };
}

/**
 * The database feed as the console builds it: each bus is the bus of its own container (own connection, own
 * migrations run) on one shared database, so two buses are what two processes on one DATA_DIR would be.
 */
function databaseFeed(dialect: 'sqlite' | 'postgres'): Carrier {
  const containers: TestContainer[] = [];
  const spaces: Array<() => Promise<void>> = [];
  const errors: string[] = [];
  return {
    name: dialect === 'sqlite' ? 'database feed, two containers on one SQLite file' : 'database feed, two containers on one PostgreSQL schema (no Redis)',
    available: dialect === 'sqlite' || postgresAvailable,
    crossProcess: true,
    errors,
    async newSpace() {
      const temp = tempDir('feed');
      if (dialect === 'sqlite') {
        spaces.push(async () => temp.cleanup());
        return JSON.stringify({ DATA_DIR: temp.dir });
      }
      const schema = uniqueId('feed');
      spaces.push(async () => {
        await dropSchema(schema);
        temp.cleanup();
      });
      return JSON.stringify({ DATA_DIR: temp.dir, DATABASE_URL: POSTGRES_URL, DATABASE_SCHEMA: schema });
    },
    async open(origin, space) {
      const shared = JSON.parse(space) as Record<string, string>;
      const container = await testContainer(dialect === 'sqlite' ? 'sqlite-local' : 'postgres-redis', { INSTANCE_ID: origin, REDIS_URL: '' }, shared);
      containers.push(container);
      expect(container.c.bus).toBeInstanceOf(DatabaseChangeBus);
      return container.c.bus;
    },
    async cleanup() {
      for (const container of containers.splice(0)) await container.close();
      for (const drop of spaces.splice(0)) await drop();
    },
  };
}

changeBusContract(inProcess());
changeBusContract(redis());
changeBusContract(databaseFeed('sqlite'));
changeBusContract(databaseFeed('postgres'));

describe('DatabaseChangeBus housekeeping', () => {
  it('prunes rows older than its retention, and a process does not replay what was written before it followed', async () => {
    const space = tempDir('feed-prune');
    const writer = await testContainer('sqlite-local', { INSTANCE_ID: 'writer' }, { DATA_DIR: space.dir });
    try {
      const db = writer.c.database.db;
      await writer.c.bus.publish({ type: 'tokens' });
      const before = await db.selectFrom('changes').select(['origin', 'event']).execute();
      expect(before.map((row) => JSON.parse(row.event) as Envelope)).toEqual([{ type: 'tokens', origin: 'writer', at: expect.any(Number) }]);

      let clock = Date.now() + 10 * 60_000;
      const errors: string[] = [];
      const late = new DatabaseChangeBus('late', writer.c.database, {
        pollMs: 1_000,
        retentionMs: 5 * 60_000,
        onError: (m) => errors.push(m),
        now: () => clock,
      });
      const heard = record(late);
      // The first poll places the cursor at the end of the feed and prunes (its clock is 10 minutes on); the
      // second finds nothing new.
      await late.poll();
      await late.poll();
      expect(heard).toEqual([]);
      expect(await db.selectFrom('changes').select('id').execute()).toEqual([]);
      clock = Date.now();
      await late.close();
      expect(errors).toEqual([]);
    } finally {
      await writer.close();
      space.cleanup();
    }
  });
});
