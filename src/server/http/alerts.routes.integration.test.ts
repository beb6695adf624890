import { TRPCClientError } from '@trpc/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertRouteDocs } from './alerts.routes';
import { buildOpenApi } from './openapi';
import { trpcClient } from '../testing/clients';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { alertsRestClient, insertSample, insertServer, insertTenant, runContext } from '../testing/alerts';
import { testCaller } from '../testing/callers';

type Json = Record<string, unknown>;

describe.each(TOPOLOGIES)('alerts REST API on %s', (topology, available) => {
  let t: TestContainer;
  let call: ReturnType<typeof alertsRestClient>;
  let tenant: string;
  let server: string;

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    // Webhook secrets are sealed with a key from CONSOLE_SECRET (required with PostgreSQL).
    t = await testContainer(topology, { CONSOLE_SECRET: 'alerts-test-secret-0123456789-0123456789' });
    const { token } = await t.c.tokens.create(testCaller('test'), { name: 'alerts', scopes: ['alerts:read', 'alerts:write'] });
    call = alertsRestClient(t.c, token);
    tenant = await insertTenant(t.c.database.db, 'Acme');
    server = await insertServer(t.c.database.db, tenant, 'gpu-1');
  });
  afterEach(async () => {
    await t?.close();
  });

  const ruleBody = (overrides: Json = {}) => ({
    tenantId: tenant,
    name: 'KV cache high',
    metric: 'kvCacheUsagePct',
    operator: '>',
    threshold: 90,
    channels: [{ type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-16-chars+' }],
    ...overrides,
  });

  it('creates a rule (201, defaults filled), reads, lists, patches and deletes it; secrets never come back', async () => {
    const created = await call(
      'POST',
      '/api/client/v1/alert-rules',
      ruleBody({
        channels: [
          { type: 'webhook', url: 'http://127.0.0.1:9/hook' },
          { type: 'slack', url: 'http://127.0.0.1:9/slack' },
        ],
      }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const rule = created.body.rule as Json & { id: string; channels: Array<Json & { id: string }> };
    expect(rule).toMatchObject({
      tenantId: tenant,
      name: 'KV cache high',
      metric: 'kvCacheUsagePct',
      aggregation: 'avg',
      operator: '>',
      threshold: 90,
      windowMinutes: 5,
      serverId: null,
      severity: 'warning',
      noData: 'keep',
      cooldownMinutes: 60,
      enabled: true,
    });
    // a webhook without a secret gets one, shown in this answer only
    expect(rule.channels[0]).toMatchObject({ type: 'webhook', hasSecret: true, generatedSecret: expect.stringMatching(/^[\w-]{40,}$/) });
    expect(rule.channels[1]).toMatchObject({ type: 'slack', hasSecret: false });
    expect(rule.channels[1]).not.toHaveProperty('generatedSecret');

    const got = await call('GET', `/api/client/v1/alert-rules/${rule.id}`);
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.body)).not.toContain(String(rule.channels[0]?.generatedSecret));
    // a Slack URL is the credential: masked in every view
    expect((got.body.rule as Json).channels).toEqual([
      {
        id: rule.channels[0]?.id,
        type: 'webhook',
        url: 'http://127.0.0.1:9/hook',
        hasSecret: true,
        signatureScheme: 'x-alert-signature',
        previousSecretExpiresAt: null,
      },
      { id: rule.channels[1]?.id, type: 'slack', url: 'http://127.0.0.1:9/****', hasSecret: false, signatureScheme: null, previousSecretExpiresAt: null },
    ]);
    expect(rule.channels[1]?.url).toBe('http://127.0.0.1:9/****');

    const listed = await call('GET', `/api/client/v1/alert-rules?tenantId=${tenant}`);
    expect((listed.body.rules as Json[]).map((r) => r.id)).toEqual([rule.id]);

    const patched = await call('PATCH', `/api/client/v1/alert-rules/${rule.id}`, {
      threshold: 95,
      serverId: server,
      metric: 'kv_cache_usage_pct',
      channels: [
        { type: 'webhook', url: 'http://127.0.0.1:9/hook' },
        { type: 'slack', url: 'http://127.0.0.1:9/other' },
      ],
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const after = patched.body.rule as Json & { channels: Json[] };
    expect(after).toMatchObject({ threshold: 95, serverId: server, metric: 'kvCacheUsagePct', name: 'KV cache high' });
    // the same webhook keeps its id and its secret (nothing newly generated); the changed slack URL is a new channel
    expect(after.channels[0]).toEqual({
      id: rule.channels[0]?.id,
      type: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      hasSecret: true,
      signatureScheme: 'x-alert-signature',
      previousSecretExpiresAt: null,
    });
    expect(after.channels[1]?.id).not.toBe(rule.channels[1]?.id);

    // sending a view's channels back unchanged (the masked Slack URL included) keeps every channel
    const roundTrip = await call('PATCH', `/api/client/v1/alert-rules/${rule.id}`, { channels: after.channels.map((c) => ({ type: c.type, url: c.url })) });
    expect(roundTrip.status, JSON.stringify(roundTrip.body)).toBe(200);
    expect((roundTrip.body.rule as Json & { channels: Json[] }).channels.map((c) => c.id)).toEqual(after.channels.map((c) => c.id));
    const stored = await t.c.database.db.selectFrom('alert_channels').select(['url', 'secret']).where('rule_id', '=', rule.id).orderBy('position').execute();
    expect(stored).toEqual([
      { url: 'http://127.0.0.1:9/hook', secret: null },
      { url: 'http://127.0.0.1:9/other', secret: null },
    ]);

    const deleted = await call('DELETE', `/api/client/v1/alert-rules/${rule.id}`);
    expect(deleted.status).toBe(200);
    expect((deleted.body.rule as Json).id).toBe(rule.id);
    expect((await call('GET', `/api/client/v1/alert-rules/${rule.id}`)).status).toBe(404);

    const audit = await t.c.audit.list({ limit: 10, actor: 'token:alerts' });
    expect(audit.map((e) => e.action)).toEqual(['alerts.rule.delete', 'alerts.rule.update', 'alerts.rule.update', 'alerts.rule.create']);
  });

  it('answers 400 naming the field for every invalid rule, 404 for an unknown tenant', async () => {
    const cases: Array<[unknown, string]> = [
      ['{not json', 'not valid JSON'],
      [{}, 'tenantId'],
      [ruleBody({ metric: 'gpu_temperature' }), 'metric'],
      [ruleBody({ operator: '=>' }), 'operator'],
      [ruleBody({ threshold: '90' }), 'threshold'],
      [ruleBody({ windowMinutes: 0 }), 'windowMinutes'],
      [ruleBody({ windowMinutes: 1441 }), 'windowMinutes'],
      [ruleBody({ aggregation: 'p99' }), 'aggregation'],
      [ruleBody({ severity: 'page' }), 'severity'],
      [ruleBody({ noData: 'ignore' }), 'noData'],
      [ruleBody({ cooldownMinutes: -1 }), 'cooldownMinutes'],
      [ruleBody({ treshold: 1 }), 'treshold'],
      [ruleBody({ channels: undefined }), 'channels'],
      [ruleBody({ channels: [{ type: 'email', url: 'x' }] }), 'channels.0.type'],
      [ruleBody({ channels: [{ type: 'webhook', url: 'ftp://example.com/x' }] }), 'channels.0.url must use http or https'],
      [ruleBody({ channels: [{ type: 'webhook', url: 'http://169.254.169.254/latest' }] }), 'link-local'],
      [ruleBody({ channels: [{ type: 'webhook', url: 'http://127.0.0.1/x', secret: 'short' }] }), 'secret'],
      [ruleBody({ channels: [{ type: 'slack', url: 'http://127.0.0.1/x', secret: 'sixteen-characters' }] }), 'secret applies to webhook channels only'],
      [ruleBody({ serverId: 'no-such-server' }), 'serverId'],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '/api/client/v1/alert-rules', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(String(res.body.error), JSON.stringify(body).slice(0, 80)).toContain(message);
    }
    const otherTenant = await insertTenant(t.c.database.db, 'Other');
    const foreignServer = await insertServer(t.c.database.db, otherTenant, 'theirs');
    expect((await call('POST', '/api/client/v1/alert-rules', ruleBody({ serverId: foreignServer }))).status).toBe(400);
    const unknown = await call('POST', '/api/client/v1/alert-rules', ruleBody({ tenantId: 'no-such-tenant' }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('Tenant not found: no-such-tenant');
    expect((await call('GET', '/api/client/v1/alert-rules?tenantId=no-such-tenant')).status).toBe(404);
    expect((await call('GET', '/api/client/v1/incidents?status=closed')).status).toBe(400);
    expect((await call('PATCH', '/api/client/v1/alert-rules/nope', { threshold: 1 })).status).toBe(404);
    expect(await t.c.database.db.selectFrom('alert_rules').select('id').execute()).toHaveLength(0);
  });

  it('needs alerts:read to read and alerts:write to change', async () => {
    const reader = alertsRestClient(t.c, (await t.c.tokens.create(testCaller('test'), { name: 'reader', scopes: ['alerts:read'] })).token);
    const other = alertsRestClient(
      t.c,
      (await t.c.tokens.create(testCaller('test'), { name: 'automations', scopes: ['automations:read', 'automations:write'] })).token,
    );
    expect((await reader('GET', '/api/client/v1/alert-rules')).status).toBe(200);
    expect((await reader('GET', '/api/client/v1/incidents')).status).toBe(200);
    const refused = await reader('POST', '/api/client/v1/alert-rules', ruleBody());
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('This token lacks the scope alerts:write');
    expect((await reader('POST', '/api/client/v1/incidents/x/acknowledge')).status).toBe(403);
    expect((await other('GET', '/api/client/v1/alert-rules')).status).toBe(403);
    expect((await alertsRestClient(t.c, null)('GET', '/api/client/v1/incidents')).status).toBe(401);
  });

  it('lists incidents open first with status and tenant filters, shows the timeline, and acknowledges once', async () => {
    const s2 = await insertServer(t.c.database.db, tenant, 'gpu-2');
    const created = await call('POST', '/api/client/v1/alert-rules', ruleBody({ aggregation: 'last', windowMinutes: 10 }));
    const ruleId = (created.body.rule as Json).id;
    const at = Date.now();
    await insertSample(t.c.database.db, tenant, server, at - 5 * 60_000, { kv_cache_usage_pct: 99 });
    await insertSample(t.c.database.db, tenant, s2, at - 5 * 60_000, { kv_cache_usage_pct: 99 });
    await t.c.alerts.port.evaluateAll(runContext(at - 4 * 60_000));
    await insertSample(t.c.database.db, tenant, s2, at - 3 * 60_000, { kv_cache_usage_pct: 10 });
    await t.c.alerts.port.evaluateAll(runContext(at - 2 * 60_000)); // gpu-2's incident resolves

    const all = await call('GET', `/api/client/v1/incidents?tenantId=${tenant}`);
    expect(all.status).toBe(200);
    const list = all.body.incidents as Array<Json & { id: string }>;
    expect(list.map((i) => [i.serverName, i.status])).toEqual([
      ['gpu-1', 'open'],
      ['gpu-2', 'resolved'],
    ]);
    const [open, resolved] = list;
    expect(open).toMatchObject({
      ruleId,
      ruleName: 'KV cache high',
      metric: 'kvCacheUsagePct',
      operator: '>',
      threshold: 90,
      severity: 'warning',
      value: 99,
      resolvedAt: null,
    });
    expect(resolved).toMatchObject({ resolution: 'cleared', lastValue: 10 });

    const ack = await call('POST', `/api/client/v1/incidents/${open?.id}/acknowledge`, { note: 'on it' });
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    expect(ack.body.incident).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'token:alerts' });
    const again = await call('POST', `/api/client/v1/incidents/${open?.id}/acknowledge`);
    expect(again.status).toBe(200);
    const timeline = (again.body.incident as { timeline: Array<Json & { deliveries: Json[] }> }).timeline;
    expect(timeline.map((e) => [e.type, e.actor, e.note])).toEqual([
      ['fired', 'system:alert-evaluation', null],
      ['acknowledged', 'token:alerts', 'on it'],
    ]);
    expect(timeline[0]?.deliveries).toEqual([
      expect.objectContaining({ channelType: 'webhook', url: 'http://127.0.0.1:9/hook', status: 'queued', attempts: 0, deliveredAt: null }),
    ]);
    const conflict = await call('POST', `/api/client/v1/incidents/${resolved?.id}/acknowledge`);
    expect(conflict.status).toBe(409);

    expect(((await call('GET', '/api/client/v1/incidents?status=acknowledged')).body.incidents as Json[]).map((i) => i.id)).toEqual([open?.id]);
    expect((await call('GET', '/api/client/v1/incidents?status=open')).body.incidents as Json[]).toEqual([]);
    expect((await call('GET', '/api/client/v1/incidents?limit=1')).body.incidents as Json[]).toHaveLength(1);
    expect((await call('GET', `/api/client/v1/incidents/${resolved?.id}`)).body.incident).toMatchObject({ id: resolved?.id, status: 'resolved' });
    expect((await call('GET', '/api/client/v1/incidents/unknown')).status).toBe(404);
    expect((await t.c.audit.list({ limit: 5, action: 'alerts.incident.acknowledge' })).length).toBe(2);
  });

  it('a tenant-restricted token sees and changes only its own tenant', async () => {
    const other = await insertTenant(t.c.database.db, 'Other');
    const otherServer = await insertServer(t.c.database.db, other, 'theirs');
    const theirs = (await call('POST', '/api/client/v1/alert-rules', ruleBody({ tenantId: other, name: 'theirs' }))).body.rule as Json;
    const ours = (await call('POST', '/api/client/v1/alert-rules', ruleBody({ name: 'ours' }))).body.rule as Json;
    await insertSample(t.c.database.db, other, otherServer, Date.now() - 1000, { kv_cache_usage_pct: 99 });
    await t.c.alerts.port.evaluateAll(runContext(Date.now()));
    const [theirIncident] = await t.c.database.db.selectFrom('incidents').select('id').execute();

    const { token } = await t.c.tokens.create(testCaller('test'), { name: 'acme-only', scopes: ['alerts:read', 'alerts:write'], tenantId: tenant });
    const restricted = alertsRestClient(t.c, token);
    expect(((await restricted('GET', '/api/client/v1/alert-rules')).body.rules as Json[]).map((r) => r.id)).toEqual([ours.id]);
    expect((await restricted('GET', `/api/client/v1/alert-rules?tenantId=${other}`)).status).toBe(404);
    expect((await restricted('GET', `/api/client/v1/alert-rules/${theirs.id}`)).status).toBe(404);
    expect((await restricted('PATCH', `/api/client/v1/alert-rules/${theirs.id}`, { threshold: 1 })).status).toBe(404);
    expect((await restricted('DELETE', `/api/client/v1/alert-rules/${theirs.id}`)).status).toBe(404);
    expect((await restricted('POST', '/api/client/v1/alert-rules', ruleBody({ tenantId: other }))).status).toBe(404);
    expect((await restricted('GET', '/api/client/v1/incidents')).body.incidents).toEqual([]);
    expect((await restricted('GET', `/api/client/v1/incidents/${theirIncident?.id}`)).status).toBe(404);
    expect((await restricted('POST', `/api/client/v1/incidents/${theirIncident?.id}/acknowledge`)).status).toBe(404);
    // A tenant's own channel URL gets the tenant's reach: public addresses only, on a default install.
    const loopback = await restricted('POST', '/api/client/v1/alert-rules', ruleBody({ name: 'mine too' }));
    expect(loopback.status).toBe(400);
    expect(String(loopback.body.error)).toContain(
      '127.0.0.1, which is a loopback address; to allow it for webhooks set OUTBOUND_ALLOW_WEBHOOK (for tenants: OUTBOUND_TENANT_ALLOW_WEBHOOK)',
    );
    const publicChannel = [{ type: 'webhook', url: 'https://hooks.example.com/acme', secret: 'a-secret-of-16-chars+' }];
    const mine = await restricted('POST', '/api/client/v1/alert-rules', ruleBody({ name: 'mine too', channels: publicChannel }));
    expect(mine.status).toBe(201);
    const channel = await t.c.database.db
      .selectFrom('alert_channels')
      .select('reach')
      .where('rule_id', '=', String((mine.body.rule as Json).id))
      .executeTakeFirst();
    expect(channel?.reach).toBe('tenant');
    const platformChannel = await t.c.database.db.selectFrom('alert_channels').select('reach').where('rule_id', '=', String(ours.id)).executeTakeFirst();
    expect(platformChannel?.reach).toBe('platform');
    // The tenant may keep the platform's channel as it is (same type and URL: not a URL it sets), not add one like it.
    const kept = await restricted('PATCH', `/api/client/v1/alert-rules/${String(ours.id)}`, { threshold: 95, channels: ruleBody().channels as Json[] });
    expect(kept.status).toBe(200);
    const keptChannel = await t.c.database.db.selectFrom('alert_channels').select('reach').where('rule_id', '=', String(ours.id)).executeTakeFirst();
    expect(keptChannel?.reach).toBe('platform');
    const added = await restricted('PATCH', `/api/client/v1/alert-rules/${String(ours.id)}`, {
      channels: [...(ruleBody().channels as Json[]), { type: 'webhook', url: 'http://127.0.0.1:10/hook' }],
    });
    expect(added.status).toBe(400);
    expect(String(added.body.error)).toContain('channels.1.url points to 127.0.0.1');
    expect((await call('GET', `/api/client/v1/alert-rules/${theirs.id}`)).body.rule).toMatchObject({ threshold: 90 });
  });
});

describe('alerts tRPC procedures', () => {
  let t: TestContainer;
  beforeEach(async () => {
    t = await testContainer('sqlite-local');
  });
  afterEach(async () => {
    await t?.close();
  });

  async function signedIn(role: 'admin' | 'viewer') {
    const email = `${role}@example.com`;
    await t.c.operators.create(testCaller('test'), { email, password: 'password-123', role });
    const { client } = trpcClient(t.c);
    await client.auth.login.mutate({ email, password: 'password-123' });
    return client;
  }

  it('previews a draft rule per server, then creates it; counts open incidents for the badge; acknowledges and notes', async () => {
    const admin = await signedIn('admin');
    const tenantId = await insertTenant(t.c.database.db, 'Acme');
    const a = await insertServer(t.c.database.db, tenantId, 'gpu-a');
    const b = await insertServer(t.c.database.db, tenantId, 'gpu-b');
    await insertServer(t.c.database.db, tenantId, 'gpu-c');
    const now = Date.now();
    await insertSample(t.c.database.db, tenantId, a, now - 60_000, { kv_cache_usage_pct: 92 });
    await insertSample(t.c.database.db, tenantId, a, now - 30_000, { kv_cache_usage_pct: 96 });
    await insertSample(t.c.database.db, tenantId, b, now - 30_000, { kv_cache_usage_pct: 50 });

    const draft = { tenantId, metric: 'kvCacheUsagePct' as const, operator: '>' as const, threshold: 90, windowMinutes: 5, noData: 'alerting' as const };
    const preview = await admin.alerts.preview.query(draft);
    expect(preview.servers).toEqual([
      { serverId: a, serverName: 'gpu-a', samples: 2, value: 94, outcome: 'breaching', wouldAlert: true },
      { serverId: b, serverName: 'gpu-b', samples: 1, value: 50, outcome: 'ok', wouldAlert: false },
      { serverId: expect.any(String), serverName: 'gpu-c', samples: 0, value: null, outcome: 'no-data', wouldAlert: true },
    ]);
    expect((await admin.alerts.preview.query({ ...draft, aggregation: 'min', serverId: a })).servers).toEqual([
      expect.objectContaining({ serverName: 'gpu-a', value: 92, outcome: 'breaching' }),
    ]);
    expect(await admin.alerts.targets.query()).toEqual([
      {
        tenantId,
        tenantName: 'Acme',
        servers: [expect.objectContaining({ name: 'gpu-a' }), expect.objectContaining({ name: 'gpu-b' }), expect.objectContaining({ name: 'gpu-c' })],
      },
    ]);

    const rule = await admin.alerts.createRule.mutate({ ...draft, name: 'KV', channels: [] });
    expect(await admin.alerts.openCount.query()).toEqual({ open: 0, acknowledged: 0 });
    await t.c.alerts.port.evaluateAll(runContext(Date.now()));
    expect(await admin.alerts.openCount.query()).toEqual({ open: 2, acknowledged: 0 });
    const [first] = await admin.alerts.incidents.query({ status: 'open' });
    const acked = await admin.alerts.acknowledge.mutate({ id: first?.id ?? '' });
    expect(acked.status).toBe('acknowledged');
    const noted = await admin.alerts.addNote.mutate({ id: first?.id ?? '', note: 'cache resized' });
    expect(noted.timeline.map((e) => e.type)).toEqual(['fired', 'acknowledged', 'note']);
    expect(await admin.alerts.openCount.query()).toEqual({ open: 1, acknowledged: 1 });
    const updated = await admin.alerts.updateRule.mutate({ id: rule.id, enabled: false });
    expect(updated.enabled).toBe(false);
    expect(await admin.alerts.openCount.query()).toEqual({ open: 0, acknowledged: 0 });
  });

  it('viewers read but cannot change', async () => {
    const viewer = await signedIn('viewer');
    const tenantId = await insertTenant(t.c.database.db, 'Acme');
    expect(await viewer.alerts.rules.query({})).toEqual([]);
    const error = await viewer.alerts.createRule.mutate({ tenantId, name: 'x', metric: 'up', operator: '<', threshold: 1, channels: [] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('alert route docs', () => {
  it('document exactly the routes the REST client serves, and build into OpenAPI', () => {
    expect(alertRouteDocs.map((d) => `${d.method} ${d.path}`)).toEqual([
      'GET /alert-rules',
      'POST /alert-rules',
      'GET /alert-rules/{id}',
      'PATCH /alert-rules/{id}',
      'DELETE /alert-rules/{id}',
      'POST /alert-rules/{id}/channels/{channelId}/rotate-secret',
      'GET /incidents',
      'GET /incidents/{id}',
      'POST /incidents/{id}/acknowledge',
    ]);
    const doc = buildOpenApi(alertRouteDocs, 'test') as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual([
      '/alert-rules',
      '/alert-rules/{id}',
      '/alert-rules/{id}/channels/{channelId}/rotate-secret',
      '/incidents',
      '/incidents/{id}',
      '/incidents/{id}/acknowledge',
    ]);
  });
});
