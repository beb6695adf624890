import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertServer, insertTenant } from '../testing/alerts';
import { createRuleInputSchema } from '../alerts/alerts.schemas';
import type { Page } from '../db/keyset-page';
import { isAppError } from '../errors';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { ALL_TENANTS } from './tenant-access';
import { readerOf, testCaller } from '../testing/callers';

/** Follows `nextCursor` from the first page to the last, `limit` at a time. */
async function walk<T>(limit: number, read: (cursor: string | undefined) => Promise<Page<T>>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await read(cursor);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    pages++;
  } while (cursor !== undefined && pages < 1000);
  return { items, pages };
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'ok';
  } catch (error) {
    return isAppError(error) ? error.code : String(error);
  }
}

describe.each(TOPOLOGIES)('tenancy on %s', (topology, available) => {
  let t: TestContainer;

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    t = await testContainer(topology, {
      CONSOLE_SECRET: 'tenancy-test-secret-0123456789-0123456789',
      TENANT_MAX_ALERT_RULES: '2',
      TENANT_MAX_NOTIFICATION_CHANNELS: '3',
    });
  });
  afterEach(async () => {
    await t?.close();
  });

  it('walks every list with a cursor in exactly the order of the unpaged list, ties included', async () => {
    const { c } = t;
    const db = c.database.db;
    // Same names in several tenants, tenants with equal names, incidents and sessions with equal times.
    const tenants = [await insertTenant(db, 'Same'), await insertTenant(db, 'Same'), await insertTenant(db, 'Other')];
    for (const tenantId of tenants) {
      for (const name of ['b', 'a', 'c']) await insertServer(db, tenantId, name);
      await db
        .insertInto('alert_rules')
        .values(
          ['r', 'r2'].map((name) => ({
            id: randomUUID(),
            tenant_id: tenantId,
            name,
            metric: 'up',
            aggregation: 'avg',
            operator: '<',
            threshold: 1,
            window_minutes: 5,
            server_id: null,
            severity: 'warning',
            no_data: 'keep',
            cooldown_minutes: 60,
            enabled: 0,
            created_at: 1,
            updated_at: 1,
          })),
        )
        .execute();
    }
    const servers = await db.selectFrom('inference_servers').select(['id', 'tenant_id', 'name']).execute();
    const statuses = ['open', 'acknowledged', 'resolved'] as const;
    await db
      .insertInto('incidents')
      .values(
        servers.map((s, i) => ({
          id: randomUUID(),
          tenant_id: s.tenant_id,
          rule_id: randomUUID(),
          server_id: s.id,
          rule_name: 'r',
          server_name: s.name,
          metric: 'up',
          aggregation: 'avg',
          operator: '<',
          threshold: 1,
          window_minutes: 5,
          severity: 'warning',
          status: statuses[i % 3] ?? 'open',
          value: 0,
          last_value: 0,
          opened_at: 1_000 + (i % 2),
          last_evaluated_at: 1_000,
          acknowledged_at: null,
          acknowledged_by: null,
          resolved_at: i % 3 === 2 ? 2_000 : null,
          resolution: i % 3 === 2 ? 'cleared' : null,
          last_notified_at: 1_000,
          renotify_count: 0,
        })),
      )
      .execute();
    await db
      .insertInto('browser_sessions')
      .values(
        Array.from({ length: 7 }, (_, i) => ({
          id: randomUUID(),
          tenant_id: tenants[i % 3] ?? '',
          owner_instance_id: 'gone',
          status: 'closed' as const,
          start_url: 'http://127.0.0.1/',
          reach: 'platform' as const,
          current_url: null,
          title: null,
          created_at: 5_000 + (i % 3),
          last_activity_at: 5_000,
          idle_timeout_ms: 1000,
          max_lifetime_ms: 1000,
          closed_at: 6_000,
          close_reason: 'requested' as const,
          error: null,
          blocked_requests: 0,
          thumbnail: null,
          thumbnail_at: null,
        })),
      )
      .execute();

    const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
    const serversWalk = await walk(2, (cursor) => c.inference.servers.listPage(readerOf(ALL_TENANTS), {}, { limit: 2, cursor }));
    expect(ids(serversWalk.items)).toEqual(ids(await c.inference.servers.list(readerOf(ALL_TENANTS), {})));
    expect(serversWalk.items).toHaveLength(9);

    const rulesWalk = await walk(4, (cursor) => c.alerts.service.listRulesPage(readerOf(ALL_TENANTS), {}, { limit: 4, cursor }));
    expect(ids(rulesWalk.items)).toEqual(ids(await c.alerts.service.listRules(readerOf(ALL_TENANTS), {})));

    const incidentsWalk = await walk(2, (cursor) => c.alerts.service.listIncidentsPage(readerOf(ALL_TENANTS), {}, { limit: 2, cursor }));
    expect(ids(incidentsWalk.items)).toEqual(ids(await c.alerts.service.listIncidents(readerOf(ALL_TENANTS), { limit: 500 })));
    expect(incidentsWalk.items.map((i) => i.status)).toEqual(
      [...incidentsWalk.items.map((i) => i.status)].sort((x, y) => statuses.indexOf(x) - statuses.indexOf(y)),
    );

    const sessionsWalk = await walk(3, (cursor) => c.browser.sessions.listPage({ tenantId: null }, { limit: 3, cursor }));
    expect(ids(sessionsWalk.items)).toEqual(ids(await c.browser.sessions.list({ tenantId: null }, { limit: 500 })));
    expect(sessionsWalk.items).toHaveLength(7);

    const tenantsWalk = await walk(1, (cursor) => c.tenants.service.listPage(readerOf(ALL_TENANTS), { limit: 1, cursor }));
    expect(ids(tenantsWalk.items)).toEqual(ids(await c.tenants.service.list(readerOf(ALL_TENANTS))));
    expect(tenantsWalk.pages).toBe(3);

    // A restricted caller walks its own tenant only.
    const own = await walk(1, (cursor) => c.inference.servers.listPage(readerOf({ restrictedTo: tenants[0] ?? '' }), {}, { limit: 1, cursor }));
    expect(new Set(own.items.map((s) => s.tenantId))).toEqual(new Set([tenants[0]]));
    expect(own.items).toHaveLength(3);
  });

  it('enforces rule and channel quotas for every caller (the console too), and rolls back what a refused write began', async () => {
    const { c } = t;
    const tenantId = await insertTenant(c.database.db, 'Quota');
    const rule = (name: string, channels: number) =>
      createRuleInputSchema.parse({
        tenantId,
        name,
        metric: 'up',
        operator: '<',
        threshold: 1,
        channels: Array.from({ length: channels }, (_, i) => ({ type: 'slack', url: `https://hooks.slack.com/services/T${i}/B${i}/${name}` })),
      });
    expect(await codeOf(c.alerts.service.createRule(testCaller('operator:a@example.com'), rule('one', 4)))).toBe('QUOTA_EXCEEDED');
    expect(await c.database.db.selectFrom('alert_rules').select('id').where('tenant_id', '=', tenantId).execute()).toEqual([]);
    const first = await c.alerts.service.createRule(testCaller('operator:a@example.com'), rule('one', 2));
    expect(await codeOf(c.alerts.service.createRule(testCaller('operator:a@example.com'), rule('two', 2)))).toBe('QUOTA_EXCEEDED');
    await c.alerts.service.createRule(testCaller('operator:a@example.com'), rule('two', 1));
    expect(await codeOf(c.alerts.service.createRule(testCaller('operator:a@example.com'), rule('three', 0)))).toBe('QUOTA_EXCEEDED');
    // Growing a rule's channels past the quota is refused and leaves the rule as it was.
    const grown = c.alerts.service.updateRule(testCaller('operator:a@example.com'), first.id, { channels: rule('one', 3).channels });
    expect(await codeOf(grown)).toBe('QUOTA_EXCEEDED');
    expect((await c.alerts.service.getRule(readerOf(ALL_TENANTS), first.id)).channels.map((ch) => ch.id)).toEqual(first.channels.map((ch) => ch.id));
  });

  it('seals secrets stored in clear before migration 0010 and keeps signing with them; rotation keeps the old one for the overlap', async () => {
    const { c } = t;
    const tenantId = await insertTenant(c.database.db, 'Legacy');
    const created = await c.alerts.service.createRule(
      testCaller('test'),
      createRuleInputSchema.parse({
        tenantId,
        name: 'legacy',
        metric: 'up',
        operator: '<',
        threshold: 1,
        channels: [{ type: 'webhook', url: 'https://hooks.example.com/a' }],
      }),
    );
    const channelId = created.channels[0]?.id ?? '';
    const legacy = 'legacy-secret-in-clear-0123456789';
    // As a row written before 0010 looks: the secret in clear, nothing sealed.
    await c.database.db.updateTable('alert_channels').set({ secret: legacy, secret_enc: null }).where('id', '=', channelId).execute();
    const row = () => c.database.db.selectFrom('alert_channels').selectAll().where('id', '=', channelId).executeTakeFirstOrThrow();
    expect(c.alerts.secrets.signingKeys(await row(), Date.now()).secrets).toEqual([legacy]);

    expect(await c.alerts.secrets.sealLegacy(c.database.db)).toEqual({ sealed: 1, remaining: 0 });
    const sealed = await row();
    expect(sealed.secret).toBeNull();
    expect(JSON.stringify(sealed)).not.toContain(legacy);
    expect(c.alerts.secrets.signingKeys(sealed, Date.now())).toEqual({ secrets: [legacy], problem: null });
    expect(await c.alerts.secrets.sealLegacy(c.database.db)).toEqual({ sealed: 0, remaining: 0 });

    const rotated = await c.alerts.service.rotateChannelSecret(testCaller('token:tenant', { restrictedTo: tenantId }), created.id, channelId, {
      overlapSeconds: 60,
    });
    const next = rotated.channels[0]?.generatedSecret ?? '';
    const now = Date.now();
    expect(c.alerts.secrets.signingKeys(await row(), now).secrets).toEqual([next, legacy]);
    expect(c.alerts.secrets.signingKeys(await row(), now + 61_000).secrets).toEqual([next]);
    expect((await c.alerts.service.getRule(readerOf(ALL_TENANTS), created.id)).channels[0]).not.toHaveProperty('generatedSecret');

    // Another tenant's token cannot see, so cannot rotate, the channel.
    expect(await codeOf(c.alerts.service.rotateChannelSecret(testCaller('token:other', { restrictedTo: 'someone-else' }), created.id, channelId, {}))).toBe(
      'NOT_FOUND',
    );
  });

  it('shows a tenant-restricted caller who acknowledged an incident as a kind, not an email', async () => {
    const { c } = t;
    const tenantId = await insertTenant(c.database.db, 'Ack');
    const serverId = await insertServer(c.database.db, tenantId, 'gpu');
    const id = randomUUID();
    await c.database.db
      .insertInto('incidents')
      .values({
        id,
        tenant_id: tenantId,
        rule_id: randomUUID(),
        server_id: serverId,
        rule_name: 'r',
        server_name: 'gpu',
        metric: 'up',
        aggregation: 'avg',
        operator: '<',
        threshold: 1,
        window_minutes: 5,
        severity: 'warning',
        status: 'open',
        value: 0,
        last_value: 0,
        opened_at: 1_000,
        last_evaluated_at: 1_000,
        acknowledged_at: null,
        acknowledged_by: null,
        resolved_at: null,
        resolution: null,
        last_notified_at: 1_000,
        renotify_count: 0,
      })
      .execute();
    await c.alerts.service.acknowledge(testCaller('operator:oncall@platform.example'), id, { note: 'on it' });
    const forTenant = await c.alerts.service.getIncident(readerOf({ restrictedTo: tenantId }), id);
    expect(forTenant.acknowledgedBy).toBe('operator');
    expect(JSON.stringify(forTenant)).not.toContain('oncall@platform.example');
    const listed = await c.alerts.service.listIncidentsPage(readerOf({ restrictedTo: tenantId }), {}, { limit: 10 });
    expect(listed.items[0]?.acknowledgedBy).toBe('operator');
    expect((await c.alerts.service.getIncident(readerOf(ALL_TENANTS), id)).acknowledgedBy).toBe('operator:oncall@platform.example');
  });
});
