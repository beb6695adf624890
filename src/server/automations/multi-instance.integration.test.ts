import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Container } from '../testing/container';
import type { Envelope } from '../coordination/change-bus';
import { type TestContainer, testContainer } from '../testing/container';
import { postgresAvailable, redisAvailable } from '../testing/services';
import { findDefinition } from './registry';
import { testToken } from '../testing/callers';

/** Resolves with the first event on `c`'s bus that matches. */
function nextEvent(c: Container, match: (e: Envelope) => boolean): Promise<Envelope> {
  return new Promise((resolve) => {
    const off = c.bus.subscribe((e) => {
      if (match(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** Publishes from `from` until `to` hears it: Redis subscriptions become ready asynchronously. */
async function waitForSubscriptions(from: Container, to: Container): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const heard = nextEvent(to, (e) => e.type === 'instances' && e.origin === from.config.instanceId);
    await from.bus.publish({ type: 'instances' });
    const ok = await Promise.race([heard.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
    if (ok) return;
  }
  throw new Error('Redis subscriptions never became ready');
}

describe.skipIf(!(postgresAvailable && redisAvailable))('two instances on PostgreSQL and Redis', () => {
  let a: TestContainer;
  let b: TestContainer;

  beforeEach(async () => {
    a = await testContainer('postgres-redis');
    b = await testContainer('postgres-redis', { INSTANCE_ID: `${a.c.config.instanceId}-b` }, a.env);
    await waitForSubscriptions(a.c, b.c);
  });
  afterEach(async () => {
    await b?.close();
    await a?.close();
  });

  it('a pause on one instance is in the other instance’s view as soon as its change event arrives', async () => {
    expect((await b.c.automations.get(testToken(), 'alert-evaluation')).state).not.toBe('paused'); // B's cache is now warm
    const heard = nextEvent(b.c, (e) => e.type === 'automation' && e.key === 'alert-evaluation');
    await a.c.automations.pause(testToken(), 'alert-evaluation', { reason: 'shared' });
    const event = await heard;
    expect(event.origin).toBe(a.c.config.instanceId);
    expect(await b.c.automations.get(testToken(), 'alert-evaluation')).toMatchObject({ state: 'paused', pauseReason: 'shared', pausedBy: 'token:test' });
    expect(await b.c.automations.isPaused('alert-evaluation')).toBe(true);
  });

  it('each scheduled slot runs exactly once across both instances, even when both fire at once', async () => {
    const definition = findDefinition('alert-evaluation');
    if (!definition) throw new Error('missing definition');
    const base = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    for (let i = 0; i < 20; i++) {
      const slot = new Date(base + i * 1000);
      await Promise.all([a.c.scheduler.tick(definition, '* * * * * *', slot), b.c.scheduler.tick(definition, '* * * * * *', slot)]);
    }
    const runs = await a.c.runs.history('alert-evaluation', 100);
    const slots = runs.map((r) => r.slot);
    expect(runs).toHaveLength(20);
    expect(new Set(slots).size).toBe(20);
    expect(runs.every((r) => r.trigger === 'schedule' && r.outcome === 'succeeded')).toBe(true);
    const skipped = { ...a.c.scheduler.skippedTicks(), ...b.c.scheduler.skippedTicks() };
    const claimedElsewhere =
      (a.c.scheduler.skippedTicks()['alert-evaluation:claimed-elsewhere'] ?? 0) + (b.c.scheduler.skippedTicks()['alert-evaluation:claimed-elsewhere'] ?? 0);
    expect(claimedElsewhere, JSON.stringify(skipped)).toBe(20);
    // fences grow with every grant, across instances
    const fences = runs.map((r) => r.fence).sort((x, y) => x - y);
    expect(new Set(fences).size).toBe(20);
  });

  it('paused: no instance runs a scheduled tick, and the skips are counted', async () => {
    const definition = findDefinition('inference-monitoring-poll');
    if (!definition) throw new Error('missing definition');
    await a.c.automations.pause(testToken(), 'inference-monitoring-poll');
    const base = Math.floor(Date.now() / 1000) * 1000 - 30_000;
    for (let i = 0; i < 5; i++) {
      const slot = new Date(base + i * 1000);
      await Promise.all([a.c.scheduler.tick(definition, '* * * * * *', slot), b.c.scheduler.tick(definition, '* * * * * *', slot)]);
    }
    expect(await a.c.runs.history('inference-monitoring-poll', 10)).toHaveLength(0);
    expect(b.c.scheduler.skippedTicks()['inference-monitoring-poll:paused']).toBe(5);
  });

  it('run-now of the per-instance reaper runs on every live instance', async () => {
    // What the automations lifecycle does at boot: answer the other instances' run requests.
    const off = b.c.runRequests.listen();
    try {
      await b.c.instances.heartbeat({});
      const result = await a.c.automations.run(testToken(), 'browser-session-reaper');
      expect(result.outcome).toBe('finished');
      const runs = await a.c.runs.history('browser-session-reaper', 10);
      expect(runs.map((r) => r.instanceId).sort()).toEqual([a.c.config.instanceId, b.c.config.instanceId].sort());
    } finally {
      off();
    }
  });

  it('a run whose instance stopped renewing its lease is closed as abandoned', async () => {
    const now = Date.now();
    await a.c.runs.start({
      id: '00000000-0000-4000-8000-000000000001',
      key: 'alert-evaluation',
      trigger: 'schedule',
      actor: null,
      instanceId: 'dead-instance',
      slot: null,
      fence: 1,
      startedAt: now - 60_000,
      leaseExpiresAt: now - 1,
    });
    expect(await b.c.runs.abandonLapsed(Date.now())).toEqual(['alert-evaluation']);
    const run = await a.c.runs.byId('00000000-0000-4000-8000-000000000001');
    expect(run).toMatchObject({ outcome: 'abandoned' });
    expect(run?.error).toContain('dead-instance');
    expect(await a.c.runs.abandonLapsed(Date.now())).toEqual([]);
  });
});
