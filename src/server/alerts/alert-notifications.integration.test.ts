import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Container } from '../testing/container';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { postgresAvailable, redisAvailable } from '../testing/services';
import { ALL_TENANTS } from '../tenants/tenant-access';
import { createRuleInputSchema } from './alerts.schemas';
import { insertSample, insertServer, insertTenant, runContext, webhookReceiver } from '../testing/alerts';
import { WEBHOOK_HEADERS } from './webhook-signature';
import { readerOf, testCaller, testToken } from '../testing/callers';

const SECRET = 'receiver-shared-secret-0123456789';
/** Webhook secrets are sealed at rest with a key from CONSOLE_SECRET, which PostgreSQL requires. */
const TEST_CONSOLE_SECRET = 'notifications-test-secret-0123456789-0123';
type Receiver = Awaited<ReturnType<typeof webhookReceiver>>;
const outbox = (c: Container) => c.database.db.selectFrom('notification_outbox').selectAll().orderBy('created_at').execute();
const bodyOf = (r: { body: string }) =>
  JSON.parse(r.body) as {
    type: string;
    text: string;
    incident: { id: string; status: string; value: number | null; lastValue: number | null };
    server: { name: string };
  };

async function kvRule(c: Container, tenantId: string, channels: unknown[]) {
  return c.alerts.service.createRule(
    testCaller('test'),
    createRuleInputSchema.parse({
      tenantId,
      name: 'KV cache full',
      metric: 'kvCacheUsagePct',
      operator: '>',
      threshold: 90,
      windowMinutes: 1,
      severity: 'critical',
      channels,
    }),
  );
}

describe.each(TOPOLOGIES)('notifications on %s', (topology, available) => {
  // Each test builds its container (some with their own settings); afterEach closes whatever was built.
  let t: TestContainer;
  let built: TestContainer | null = null;
  let receiver: Receiver | null = null;
  const build = async (extraEnv: Record<string, string> = {}) => {
    built = await testContainer(topology, { CONSOLE_SECRET: TEST_CONSOLE_SECRET, ...extraEnv });
    return built;
  };

  beforeEach(({ skip }) => {
    if (!available) skip();
  });
  afterEach(async () => {
    await built?.c.alerts.lifecycle.stop?.();
    await receiver?.close();
    await built?.close();
    receiver = null;
    built = null;
  });

  it('must show: crossing the threshold and coming back → one incident, one signed "fired" webhook, then one "resolved" — no duplicates across repeated runs', async () => {
    t = await build();
    const c = t.c;
    receiver = await webhookReceiver(SECRET);
    const tenantId = await insertTenant(c.database.db, 'Acme');
    const server = await insertServer(c.database.db, tenantId, 'gpu-1');
    const slack = await webhookReceiver(null);
    try {
      await kvRule(c, tenantId, [
        { type: 'webhook', url: receiver.url, secret: SECRET },
        { type: 'slack', url: slack.url },
      ]);
      const run = async () => {
        const result = await c.automations.run(testToken(), 'alert-evaluation');
        if (result.outcome !== 'finished') throw new Error(`run did not finish: ${result.outcome}`);
        expect(result.run.outcome).toBe('succeeded');
        return result.run.metrics ?? {};
      };

      // The numbers cross the threshold.
      await insertSample(c.database.db, tenantId, server, Date.now() - 2000, { kv_cache_usage_pct: 95 });
      await insertSample(c.database.db, tenantId, server, Date.now() - 1000, { kv_cache_usage_pct: 97 });
      expect(await run()).toMatchObject({ firedCount: 1, processedTenants: 1, pendingAsyncTasks: 2 });
      expect(await run()).toMatchObject({ firedCount: 0, processedTenants: 1 });
      expect(await c.alerts.delivery.runOnce()).toBe(2);
      await run();
      await c.alerts.delivery.runOnce();

      const incidents = await c.alerts.service.listIncidents(readerOf(ALL_TENANTS), { limit: 10 });
      expect(incidents).toHaveLength(1);
      expect(incidents[0]).toMatchObject({ status: 'open', value: 96, serverName: 'gpu-1', notificationsSent: 2 });
      expect(receiver.received).toHaveLength(1);
      const fired = receiver.received[0];
      expect(fired?.signatureProblem).toBeNull();
      expect(fired?.headers[WEBHOOK_HEADERS.event]).toBe('incident.fired');
      expect(bodyOf(fired ?? { body: '{}' })).toMatchObject({
        type: 'incident.fired',
        incident: { id: incidents[0]?.id, status: 'open', value: 96 },
        server: { name: 'gpu-1' },
      });
      expect(slack.received).toHaveLength(1);
      expect(JSON.parse(slack.received[0]?.body ?? '{}')).toEqual({ text: expect.stringContaining('[CRITICAL] Firing: KV cache full on gpu-1 (Acme)') });

      // ...and come back.
      for (let i = 0; i < 6; i++) await insertSample(c.database.db, tenantId, server, Date.now() - 500 + i, { kv_cache_usage_pct: 20 });
      expect(await run()).toMatchObject({ firedCount: 0, pendingAsyncTasks: 2 });
      await c.alerts.delivery.runOnce();
      await run();
      await run();
      await c.alerts.delivery.runOnce();

      expect(receiver.received).toHaveLength(2);
      const resolved = receiver.received[1];
      expect(resolved?.signatureProblem).toBeNull();
      expect(bodyOf(resolved ?? { body: '{}' })).toMatchObject({ type: 'incident.resolved', incident: { id: incidents[0]?.id, status: 'resolved' } });
      expect(new Set(receiver.received.map((r) => r.headers[WEBHOOK_HEADERS.idempotencyKey])).size).toBe(2);
      expect(slack.received.map((r) => (JSON.parse(r.body) as { text: string }).text)).toEqual([
        expect.stringContaining('Firing'),
        expect.stringContaining('Resolved'),
      ]);
      expect(await c.alerts.port.pendingDeliveries()).toBe(0);

      const detail = await c.alerts.service.getIncident(readerOf(ALL_TENANTS), incidents[0]?.id ?? '');
      expect(detail.status).toBe('resolved');
      expect(detail.timeline.map((e) => [e.type, e.deliveries.map((d) => d.status)])).toEqual([
        ['fired', ['delivered', 'delivered']],
        ['resolved', ['delivered', 'delivered']],
      ]);
      expect((await c.automations.get(testToken(), 'alert-evaluation')).metrics).toMatchObject({ pendingAsyncTasks: 0 });
    } finally {
      await slack.close();
    }
  });

  it('retries with backoff through a receiver that answers 500 three times: it accepts the event exactly once, every attempt signed and identical', async () => {
    t = await build({ ALERTS_DELIVERY_BACKOFF_BASE_MS: '20', ALERTS_DELIVERY_POLL_MS: '20' });
    const c = t.c;
    receiver = await webhookReceiver(SECRET, (n) => (n <= 3 ? 500 : 200));
    const tenantId = await insertTenant(c.database.db);
    const server = await insertServer(c.database.db, tenantId, 'gpu-1');
    await kvRule(c, tenantId, [{ type: 'webhook', url: receiver.url, secret: SECRET }]);
    await insertSample(c.database.db, tenantId, server, Date.now() - 1000, { kv_cache_usage_pct: 99 });

    await c.alerts.lifecycle.start?.();
    const result = await c.automations.run(testToken(), 'alert-evaluation');
    expect(result.outcome === 'finished' && result.run.outcome).toBe('succeeded');
    await expect.poll(() => c.alerts.port.pendingDeliveries(), { timeout: 15_000, interval: 20 }).toBe(0);

    expect(receiver.received.map((r) => r.answered)).toEqual([500, 500, 500, 200]);
    expect(receiver.received.every((r) => r.signatureProblem === null)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.headers[WEBHOOK_HEADERS.idempotencyKey])).size).toBe(1);
    expect(receiver.received.map((r) => r.headers[WEBHOOK_HEADERS.attempt])).toEqual(['1', '2', '3', '4']);
    const accepted = receiver.accepted();
    expect(accepted.size).toBe(1);
    expect([...accepted.values()][0]).toHaveLength(1);
    const [row, ...others] = await outbox(c);
    expect(others).toHaveLength(0);
    expect(row).toMatchObject({ status: 'delivered', attempts: 4, last_status_code: 200, last_error: null });

    // Nothing is sent again afterwards.
    await c.alerts.delivery.runOnce();
    expect(receiver.received).toHaveLength(4);
  });

  it('cuts a hanging webhook at its deadline, keeps the run green, retries, and gives up after the maximum attempts', async () => {
    t = await build({ ALERTS_WEBHOOK_DEADLINE_MS: '300', ALERTS_DELIVERY_MAX_ATTEMPTS: '2', ALERTS_DELIVERY_BACKOFF_BASE_MS: '1' });
    const c = t.c;
    receiver = await webhookReceiver(SECRET, () => 'hang');
    const tenantId = await insertTenant(c.database.db);
    const server = await insertServer(c.database.db, tenantId, 'gpu-1');
    await kvRule(c, tenantId, [{ type: 'webhook', url: receiver.url, secret: SECRET }]);
    await insertSample(c.database.db, tenantId, server, Date.now() - 1000, { kv_cache_usage_pct: 99 });
    await c.automations.run(testToken(), 'alert-evaluation');

    expect(await c.alerts.delivery.runOnce()).toBe(1);
    const [first] = await outbox(c);
    expect(first).toMatchObject({ status: 'queued', attempts: 1, last_status_code: null, last_error: 'timed out (300 ms)' });
    await expect.poll(() => receiver?.closedUnanswered.length).toBe(1); // the receiver saw the sender hang up

    const result = await c.automations.run(testToken(), 'alert-evaluation');
    expect(result.outcome === 'finished' && result.run.outcome).toBe('succeeded');

    await expect
      .poll(async () => {
        await c.alerts.delivery.runOnce();
        return (await outbox(c))[0]?.status;
      })
      .toBe('failed');
    expect((await outbox(c))[0]).toMatchObject({ attempts: 2, last_error: 'timed out (300 ms) (gave up after 2 attempts)' });
    expect(receiver.received).toHaveLength(2);
    expect(await c.alerts.port.pendingDeliveries()).toBe(0);
  });

  it('takes over a claim whose instance died once its lease lapses; the dead claim’s late write changes nothing', async () => {
    t = await build();
    const c = t.c;
    receiver = await webhookReceiver(SECRET);
    const tenantId = await insertTenant(c.database.db);
    const server = await insertServer(c.database.db, tenantId, 'gpu-1');
    await kvRule(c, tenantId, [{ type: 'webhook', url: receiver.url, secret: SECRET }]);
    const start = Date.now() - 10_000;
    await insertSample(c.database.db, tenantId, server, start - 1000, { kv_cache_usage_pct: 99 });
    await c.alerts.port.evaluateAll(runContext(start));

    // An instance claims the row and dies; its lease (1 s) lapsed long ago.
    const [dead] = await c.alerts.outbox.claimDue(10, 1000, start + 1000);
    if (!dead) throw new Error('nothing claimed');
    expect(await c.alerts.outbox.claimDue(10, 60_000, start + 1500)).toEqual([]); // not while the lease lives
    expect(await c.alerts.port.pendingDeliveries()).toBe(1);

    expect(await c.alerts.delivery.runOnce()).toBe(1);
    await c.alerts.outbox.markAttemptFailed(dead, { statusCode: null, error: 'late write of the dead claim', retryAt: Date.now() }, Date.now());
    const [row] = await outbox(c);
    expect(row).toMatchObject({ status: 'delivered', attempts: 2, last_error: null });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.headers[WEBHOOK_HEADERS.attempt]).toBe('2');
  });

  it('does not retry a receiver that rejects the request (4xx), and never sends to a refused address', async () => {
    t = await build();
    const c = t.c;
    receiver = await webhookReceiver(SECRET, () => 410);
    const tenantId = await insertTenant(c.database.db);
    const server = await insertServer(c.database.db, tenantId, 'gpu-1');
    const rule = await kvRule(c, tenantId, [{ type: 'webhook', url: receiver.url, secret: SECRET }]);
    // Saving refuses such a URL; one written behind the service's back is still refused when sending.
    await c.database.db
      .insertInto('alert_channels')
      .values({
        id: 'metadata',
        rule_id: rule.id,
        tenant_id: tenantId,
        type: 'slack',
        url: 'http://169.254.169.254/latest',
        reach: 'platform',
        secret: null,
        position: 1,
        created_at: Date.now(),
      })
      .execute();
    await insertSample(c.database.db, tenantId, server, Date.now() - 1000, { kv_cache_usage_pct: 99 });
    await c.alerts.port.evaluateAll(runContext(Date.now()));
    await c.alerts.delivery.runOnce();
    const rows = await outbox(c);
    const byChannel = (id: string) => rows.find((r) => r.channel_id === id);
    expect(byChannel(rule.channels[0]?.id ?? '')).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410 });
    expect(byChannel('metadata')).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null });
    expect(byChannel('metadata')?.last_error).toBe('refused by outbound policy');
    // the receiver's 410 page is its own: only the status is kept
    expect(byChannel(rule.channels[0]?.id ?? '')?.last_error).toBe('HTTP 410');
    expect(receiver.received).toHaveLength(1);
  });
});

describe('concurrent evaluations and deliveries', () => {
  let a: TestContainer | null = null;
  let b: TestContainer | null = null;
  let receiver: Receiver | null = null;

  afterEach(async () => {
    await receiver?.close();
    await b?.close();
    await a?.close();
    a = b = receiver = null;
  });

  async function race(first: Container, second: Container) {
    receiver = await webhookReceiver(SECRET);
    const slack = await webhookReceiver(null);
    try {
      const tenantId = await insertTenant(first.database.db);
      const servers = [await insertServer(first.database.db, tenantId, 'gpu-1'), await insertServer(first.database.db, tenantId, 'gpu-2')];
      await kvRule(first, tenantId, [
        { type: 'webhook', url: receiver.url, secret: SECRET },
        { type: 'slack', url: slack.url },
      ]);
      const at = Date.now() - 10_000; // every evaluation time below is in the past, so its notifications are due now
      for (const s of servers) await insertSample(first.database.db, tenantId, s, at - 1000, { kv_cache_usage_pct: 99 });
      for (let round = 0; round < 5; round++) {
        await Promise.all([first.alerts.port.evaluateAll(runContext(at + round)), second.alerts.port.evaluateAll(runContext(at + round))]);
      }
      await Promise.all([first.alerts.delivery.runOnce(), second.alerts.delivery.runOnce(), first.alerts.delivery.runOnce()]);

      // back to normal, resolved by racing evaluations too
      for (const s of servers) await insertSample(first.database.db, tenantId, s, at + 100, { kv_cache_usage_pct: 1 });
      for (let round = 0; round < 5; round++) {
        await Promise.all([first.alerts.port.evaluateAll(runContext(at + 1000 + round)), second.alerts.port.evaluateAll(runContext(at + 1000 + round))]);
      }
      await Promise.all([first.alerts.delivery.runOnce(), second.alerts.delivery.runOnce()]);

      const incidents = await first.database.db.selectFrom('incidents').selectAll().execute();
      expect(incidents).toHaveLength(2);
      expect(incidents.every((i) => i.status === 'resolved')).toBe(true);
      const events = await first.database.db.selectFrom('incident_events').select(['type']).execute();
      expect(events.map((e) => e.type).sort()).toEqual(['fired', 'fired', 'resolved', 'resolved']);
      const rows = await outbox(first);
      expect(rows).toHaveLength(8); // 2 incidents × 2 events × 2 channels
      expect(rows.map((r) => [r.status, r.attempts, r.last_error])).toEqual(rows.map(() => ['delivered', 1, null]));
      // from the receivers' side: each event exactly once
      expect(receiver.received).toHaveLength(4);
      expect(receiver.accepted().size).toBe(4);
      expect(receiver.received.every((r) => r.signatureProblem === null)).toBe(true);
      expect(slack.received).toHaveLength(4);
    } finally {
      await slack.close();
    }
  }

  it('two evaluations racing in one process on one SQLite database → one incident per server, one notification per channel', async () => {
    a = await testContainer('sqlite-local');
    await race(a.c, a.c);
  });

  it.skipIf(!(postgresAvailable && redisAvailable))('two instances on one PostgreSQL schema and Redis prefix evaluating at once → the same', async () => {
    a = await testContainer('postgres-redis', { CONSOLE_SECRET: TEST_CONSOLE_SECRET });
    b = await testContainer('postgres-redis', { INSTANCE_ID: `${a.c.config.instanceId}-b`, CONSOLE_SECRET: TEST_CONSOLE_SECRET }, a.env);
    await race(a.c, b.c);
  });
});
