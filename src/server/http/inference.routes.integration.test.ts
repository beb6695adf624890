import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRuleTable } from '../db/tables/alerts.tables';
import type { BrowserSessionTable } from '../db/tables/browser.tables';
import type { Container } from '../container';
import { FIXTURE_API_KEY, type Fixture, startFixture } from '../inference/testing/fixture-servers';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { postgresAvailable, redisAvailable } from '../testing/services';
import { inferenceRoutes } from './inference.routes';
import { tenantRoutes } from './tenants.routes';
import { testCaller, testToken } from '../testing/callers';

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;
interface Result {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

/** Calls the handlers as the App Router's route files would, matching paths the same way. */
function client(c: Container, token: string | null) {
  const tenants = tenantRoutes(async () => c);
  const servers = inferenceRoutes(async () => c);
  const table: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/api\/client\/v1\/tenants$/, tenants.list],
    ['POST', /^\/api\/client\/v1\/tenants$/, tenants.create],
    ['GET', /^\/api\/client\/v1\/tenants\/([^/]+)$/, tenants.get],
    ['PATCH', /^\/api\/client\/v1\/tenants\/([^/]+)$/, tenants.update],
    ['DELETE', /^\/api\/client\/v1\/tenants\/([^/]+)$/, tenants.delete],
    ['GET', /^\/api\/client\/v1\/inference-servers$/, servers.list],
    ['POST', /^\/api\/client\/v1\/inference-servers$/, servers.create],
    ['GET', /^\/api\/client\/v1\/inference-servers\/([^/]+)$/, servers.get],
    ['PATCH', /^\/api\/client\/v1\/inference-servers\/([^/]+)$/, servers.update],
    ['DELETE', /^\/api\/client\/v1\/inference-servers\/([^/]+)$/, servers.delete],
    ['GET', /^\/api\/client\/v1\/inference-servers\/([^/]+)\/samples$/, servers.samples],
  ];
  return async (method: string, path: string, body?: unknown): Promise<Result> => {
    const url = new URL(path, 'http://console.test');
    const match = table.find(([m, pattern]) => m === method && pattern.test(url.pathname));
    if (!match) throw new Error(`no route for ${method} ${url.pathname}`);
    const id = match[1].exec(url.pathname)?.[1];
    const request = new Request(url, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const response = await match[2](request, { params: Promise.resolve<Record<string, string>>(id === undefined ? {} : { id: decodeURIComponent(id) }) });
    const text = await response.text();
    return { status: response.status, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

describe.each(TOPOLOGIES)('tenants and inference-servers REST API on %s', (topology, available) => {
  let t: TestContainer;
  let call: ReturnType<typeof client>;
  const fixtures: Fixture[] = [];

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    // The fleet of these tests lives in 10.0.0.0/8 (never contacted: no poll reaches it), listed for the platform.
    t = await testContainer(topology, { CONSOLE_SECRET: 'rest-test-secret-0123456789-0123456789', OUTBOUND_ALLOW_POLL: '127.0.0.1,::1,10.0.0.0/8' });
    const { token } = await t.c.tokens.create(testCaller('test'), { name: 'ops', scopes: ['inference:read', 'inference:write'] });
    call = client(t.c, token);
  });
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.close();
    await t?.close();
  });

  async function createTenant(slug: string): Promise<Record<string, unknown>> {
    const res = await call('POST', '/api/client/v1/tenants', { name: `Team ${slug}`, slug });
    expect(res.status, res.text).toBe(201);
    return res.body.tenant as Record<string, unknown>;
  }

  it('tenants: create, list, get, rename, refuse a duplicate slug, delete; every mutation audited', async () => {
    const created = await createTenant('team-a');
    expect(created).toMatchObject({ name: 'Team team-a', slug: 'team-a', usage: { inferenceServers: 0, alertRules: 0, browserSessions: 0 } });
    expect(typeof created.createdAt).toBe('string');
    const id = created.id as string;

    expect((await call('GET', '/api/client/v1/tenants')).body).toEqual({ tenants: [created], nextCursor: null });
    expect((await call('GET', `/api/client/v1/tenants/${id}`)).body).toEqual({ tenant: created });
    const renamed = await call('PATCH', `/api/client/v1/tenants/${id}`, { name: 'Team A' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.tenant).toMatchObject({ id, name: 'Team A', slug: 'team-a' });

    const duplicate = await call('POST', '/api/client/v1/tenants', { name: 'Other', slug: 'team-a' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ code: 'CONFLICT', error: 'A tenant with slug "team-a" already exists; choose another slug' });

    const deleted = await call('DELETE', `/api/client/v1/tenants/${id}`);
    expect(deleted.status).toBe(200);
    expect((await call('GET', `/api/client/v1/tenants/${id}`)).status).toBe(404);
    const audit = await t.c.audit.list({ limit: 10, target: id });
    expect(audit.map((e) => [e.action, e.outcome, e.actor])).toEqual([
      ['tenant.delete', 'deleted', 'token:ops'],
      ['tenant.update', 'updated', 'token:ops'],
      ['tenant.create', 'created', 'token:ops'],
    ]);
  });

  it('tenants: validation names the fields', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'x', slug: 'Bad Slug' }, 'slug'],
      [{ name: '', slug: 'ok' }, 'name'],
      [{ slug: 'ok' }, 'name'],
      [{ name: 'x', slug: 'ok', extra: 1 }, 'extra'],
      ['{not json', 'not valid JSON'],
    ];
    for (const [body, field] of cases) {
      const res = await call('POST', '/api/client/v1/tenants', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(String(res.body.error)).toContain(field);
    }
    const id = (await createTenant('valid')).id as string;
    expect((await call('PATCH', `/api/client/v1/tenants/${id}`, {})).status).toBe(400);
  });

  it('a tenant that still owns servers, rules or sessions cannot be deleted, and says what is left', async () => {
    const id = (await createTenant('busy')).id as string;
    const f = await startFixture('ollama');
    fixtures.push(f);
    const server = await call('POST', '/api/client/v1/inference-servers', { tenantId: id, name: 'ollama', kind: 'ollama', baseUrl: f.url });
    expect(server.status).toBe(201);
    const now = Date.now();
    await t.c.database.db.insertInto('alert_rules').values(alertRule(id, now)).execute();
    await t.c.database.db.insertInto('browser_sessions').values(browserSession(id, now)).execute();

    const refused = await call('DELETE', `/api/client/v1/tenants/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'CONFLICT',
      error: 'Tenant "busy" still owns 1 inference server, 1 alert rule and 1 browser session; delete them first (closed browser sessions count too)',
    });
    expect((await call('GET', `/api/client/v1/tenants/${id}`)).body.tenant).toMatchObject({
      usage: { inferenceServers: 1, alertRules: 1, browserSessions: 1 },
    });
    expect((await t.c.audit.list({ limit: 1, target: id, action: 'tenant.delete' }))[0]?.outcome).toBe('refused');
  });

  it('inference servers: create with defaults, validation, list by tenant, update, samples, delete', async () => {
    const tenantId = (await createTenant('infra')).id as string;
    const f = await startFixture('vllm');
    fixtures.push(f);
    const created = await call('POST', '/api/client/v1/inference-servers', { tenantId, name: 'gpu-1', kind: 'vllm', baseUrl: `${f.url}/` });
    expect(created.status, created.text).toBe(201);
    const server = created.body.server as Record<string, unknown>;
    expect(server).toMatchObject({
      tenantId,
      name: 'gpu-1',
      kind: 'vllm',
      baseUrl: f.url, // trailing slash dropped, path prefix kept
      pollIntervalSeconds: 30,
      enabled: true,
      hasApiKey: false,
      status: 'down',
      lastPolledAt: null,
      lastLatencyMs: null,
      lastError: null,
    });
    const id = server.id as string;

    const invalid: Array<[Record<string, unknown>, string]> = [
      [{ kind: 'triton' }, 'kind'],
      [{ baseUrl: 'ftp://10.0.0.1/' }, 'must use http or https'],
      [{ baseUrl: 'http://169.254.169.254/' }, 'link-local'],
      [{ baseUrl: 'http://10.0.0.1/?x=1' }, 'query'],
      [{ pollIntervalSeconds: 5 }, 'between 10 and 3600'],
      [{ pollIntervalSeconds: 3601 }, 'between 10 and 3600'],
      [{ pollIntervalSeconds: 30.5 }, 'whole number'],
      [{ apiKey: 'has space' }, 'apiKey'],
      [{ name: 'gpu-1' }, 'already has an inference server named "gpu-1"'],
    ];
    for (const [change, message] of invalid) {
      const res = await call('POST', '/api/client/v1/inference-servers', { tenantId, name: 'other', kind: 'vllm', baseUrl: 'http://10.0.0.1:8000', ...change });
      expect(res.status, JSON.stringify(change)).toBe(message.includes('already has') ? 409 : 400);
      expect(String(res.body.error), JSON.stringify(change)).toContain(message);
    }
    expect(
      (await call('POST', '/api/client/v1/inference-servers', { tenantId: 'no-such-tenant', name: 'x', kind: 'vllm', baseUrl: 'http://10.0.0.1' })).status,
    ).toBe(404);

    const otherTenant = (await createTenant('other')).id as string;
    await call('POST', '/api/client/v1/inference-servers', {
      tenantId: otherTenant,
      name: 'cpu',
      kind: 'ollama',
      baseUrl: 'http://10.0.0.2:11434',
      enabled: false,
    });
    expect(((await call('GET', '/api/client/v1/inference-servers')).body.servers as unknown[]).length).toBe(2);
    const mine = (await call('GET', `/api/client/v1/inference-servers?tenantId=${tenantId}`)).body.servers as Array<{ id: string }>;
    expect(mine.map((s) => s.id)).toEqual([id]);
    expect((await call('GET', '/api/client/v1/inference-servers?tenantId=missing')).status).toBe(404);

    const updated = await call('PATCH', `/api/client/v1/inference-servers/${id}`, { pollIntervalSeconds: 60, enabled: false });
    expect(updated.body.server).toMatchObject({ pollIntervalSeconds: 60, enabled: false, status: 'disabled' });
    await call('PATCH', `/api/client/v1/inference-servers/${id}`, { enabled: true });

    await t.c.automations.run(testToken(), 'inference-monitoring-poll');
    const samples = await call('GET', `/api/client/v1/inference-servers/${id}/samples?limit=5`);
    expect(samples.status).toBe(200);
    expect(samples.body.samples).toEqual([
      expect.objectContaining({
        serverId: id,
        up: true,
        requestsRunning: 7,
        requestsWaiting: 2,
        kvCacheUsagePct: 42.13,
        models: ['meta-llama/Llama-3.1-8B-Instruct'],
        error: null,
      }),
    ]);
    expect(Object.keys((samples.body.samples as object[])[0] ?? {})).not.toContain('counters');
    expect(((await call('GET', `/api/client/v1/inference-servers/${id}/samples?since=2999-01-01T00:00:00Z`)).body.samples as unknown[]).length).toBe(0);
    for (const bad of ['limit=0', 'limit=1001', 'since=yesterday', 'other=1']) {
      expect((await call('GET', `/api/client/v1/inference-servers/${id}/samples?${bad}`)).status, bad).toBe(400);
    }

    expect((await call('DELETE', `/api/client/v1/inference-servers/${id}`)).status).toBe(200);
    expect((await call('GET', `/api/client/v1/inference-servers/${id}`)).status).toBe(404);
    expect((await call('GET', `/api/client/v1/inference-servers/${id}/samples`)).status).toBe(404);
    expect(await t.c.database.db.selectFrom('inference_samples').select('id').where('server_id', '=', id).execute()).toEqual([]);
    const actions = (await t.c.audit.list({ limit: 10, target: id })).map((e) => e.action);
    expect(actions).toEqual(['inference-server.delete', 'inference-server.update', 'inference-server.update', 'inference-server.create']);
  });

  it('the API key is encrypted at rest and never returned, logged in the audit, or echoed', async () => {
    const tenantId = (await createTenant('keys')).id as string;
    const f = await startFixture('openai');
    fixtures.push(f);
    const created = await call('POST', '/api/client/v1/inference-servers', { tenantId, name: 'gw', kind: 'openai', baseUrl: f.url, apiKey: FIXTURE_API_KEY });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(FIXTURE_API_KEY);
    const id = (created.body.server as { id: string; hasApiKey: boolean }).id;
    expect((created.body.server as { hasApiKey: boolean }).hasApiKey).toBe(true);
    const stored = await t.c.database.db.selectFrom('inference_servers').select('api_key_enc').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.api_key_enc).toMatch(/^v2\./);
    expect(stored.api_key_enc).not.toContain(FIXTURE_API_KEY);

    await t.c.automations.run(testToken(), 'inference-monitoring-poll');
    expect(f.requests).toEqual([`GET /v1/models Bearer ${FIXTURE_API_KEY}`]);
    for (const path of [`/api/client/v1/inference-servers/${id}`, '/api/client/v1/inference-servers', `/api/client/v1/inference-servers/${id}/samples`]) {
      const res = await call('GET', path);
      expect(res.text, path).not.toContain(FIXTURE_API_KEY);
    }
    const audit = JSON.stringify(await t.c.audit.list({ limit: 20 }));
    expect(audit).not.toContain(FIXTURE_API_KEY);

    const cleared = await call('PATCH', `/api/client/v1/inference-servers/${id}`, { apiKey: null });
    expect(cleared.body.server).toMatchObject({ hasApiKey: false, lastPolledAt: null });
    await t.c.automations.run(testToken(), 'inference-monitoring-poll');
    expect((await call('GET', `/api/client/v1/inference-servers/${id}`)).body.server).toMatchObject({
      status: 'down',
      lastError: expect.stringContaining('API key'),
    });
  });

  it('a tenant-restricted token sees only its tenant: others are 404, and it cannot create or delete tenants', async () => {
    const mine = (await createTenant('mine')).id as string;
    const theirs = (await createTenant('theirs')).id as string;
    const theirServer = (
      await call('POST', '/api/client/v1/inference-servers', { tenantId: theirs, name: 's', kind: 'ollama', baseUrl: 'http://10.0.0.3:11434' })
    ).body.server as { id: string };
    const myServer = (await call('POST', '/api/client/v1/inference-servers', { tenantId: mine, name: 's', kind: 'ollama', baseUrl: 'http://10.0.0.4:11434' }))
      .body.server as { id: string };
    const { token } = await t.c.tokens.create(testCaller('test'), { name: 'restricted', scopes: ['inference:read', 'inference:write'], tenantId: mine });
    const restricted = client(t.c, token);

    expect(((await restricted('GET', '/api/client/v1/tenants')).body.tenants as Array<{ id: string }>).map((x) => x.id)).toEqual([mine]);
    expect(((await restricted('GET', '/api/client/v1/inference-servers')).body.servers as Array<{ id: string }>).map((x) => x.id)).toEqual([myServer.id]);
    const notFound: Array<[string, string, unknown?]> = [
      ['GET', `/api/client/v1/tenants/${theirs}`],
      ['PATCH', `/api/client/v1/tenants/${theirs}`, { name: 'hijacked' }],
      ['GET', `/api/client/v1/inference-servers?tenantId=${theirs}`],
      ['GET', `/api/client/v1/inference-servers/${theirServer.id}`],
      ['PATCH', `/api/client/v1/inference-servers/${theirServer.id}`, { enabled: false }],
      ['DELETE', `/api/client/v1/inference-servers/${theirServer.id}`],
      ['GET', `/api/client/v1/inference-servers/${theirServer.id}/samples`],
      ['POST', '/api/client/v1/inference-servers', { tenantId: theirs, name: 'sneaky', kind: 'vllm', baseUrl: 'http://10.0.0.5' }],
    ];
    for (const [method, path, body] of notFound) {
      const res = await restricted(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    // the same 404 text as for an id that does not exist, so nothing leaks
    expect((await restricted('GET', `/api/client/v1/inference-servers/${theirServer.id}`)).body.error).toBe(`Inference server not found: ${theirServer.id}`);
    expect((await call('GET', `/api/client/v1/inference-servers/${theirServer.id}`)).body.server).toMatchObject({ enabled: true });

    // The platform's list is the platform's: a URL the tenant sets reaches public addresses only (no tenant list).
    const internal = await restricted('POST', '/api/client/v1/inference-servers', {
      tenantId: mine,
      name: 'internal',
      kind: 'vllm',
      baseUrl: 'http://10.0.0.6:8000',
    });
    expect(internal.status).toBe(400);
    expect(internal.body.error).toBe(
      'baseUrl points to 10.0.0.6, which is a private address; to allow it for polls set OUTBOUND_ALLOW_POLL (for tenants: OUTBOUND_TENANT_ALLOW_POLL)',
    );
    const moved = await restricted('PATCH', `/api/client/v1/inference-servers/${myServer.id}`, { baseUrl: 'http://10.0.0.4:11435' });
    expect(moved.status).toBe(400);
    const renamed = await restricted('PATCH', `/api/client/v1/inference-servers/${myServer.id}`, { name: 'renamed' });
    expect(renamed.status).toBe(200);
    const rows = await t.c.database.db.selectFrom('inference_servers').select(['id', 'reach', 'base_url']).where('id', '=', myServer.id).execute();
    expect(rows).toEqual([{ id: myServer.id, reach: 'platform', base_url: 'http://10.0.0.4:11434' }]);

    expect((await restricted('PATCH', `/api/client/v1/tenants/${mine}`, { name: 'Mine, renamed' })).status).toBe(200);
    expect((await restricted('POST', '/api/client/v1/tenants', { name: 'new', slug: 'new' })).status).toBe(403);
    expect((await restricted('DELETE', `/api/client/v1/tenants/${mine}`)).status).toBe(403);
  });

  it('scopes: inference:read reads, inference:write writes, other scopes neither', async () => {
    const tenantId = (await createTenant('scoped')).id as string;
    const reader = client(t.c, (await t.c.tokens.create(testCaller('test'), { name: 'reader', scopes: ['inference:read'] })).token);
    const outsider = client(t.c, (await t.c.tokens.create(testCaller('test'), { name: 'outsider', scopes: ['automations:read'] })).token);
    expect((await reader('GET', '/api/client/v1/tenants')).status).toBe(200);
    expect((await reader('GET', `/api/client/v1/inference-servers?tenantId=${tenantId}`)).status).toBe(200);
    const write = await reader('POST', '/api/client/v1/tenants', { name: 'x', slug: 'x' });
    expect(write.status).toBe(403);
    expect(write.body.error).toBe('This token lacks the scope inference:write');
    expect((await reader('DELETE', `/api/client/v1/tenants/${tenantId}`)).status).toBe(403);
    expect((await outsider('GET', '/api/client/v1/tenants')).status).toBe(403);
    expect((await client(t.c, null)('GET', '/api/client/v1/inference-servers')).status).toBe(401);
  });
});

describe.skipIf(!(postgresAvailable && redisAvailable))('API keys on PostgreSQL without CONSOLE_SECRET', () => {
  it('refuses to store a key with an actionable message, and works without one', async () => {
    const t = await testContainer('postgres-redis', { OUTBOUND_ALLOW_POLL: '10.0.0.0/8' });
    try {
      const call = client(t.c, (await t.c.tokens.create(testCaller('test'), { name: 'ops', scopes: ['inference:read', 'inference:write'] })).token);
      const tenantId = ((await call('POST', '/api/client/v1/tenants', { name: 'pg', slug: 'pg' })).body.tenant as { id: string }).id;
      const withKey = await call('POST', '/api/client/v1/inference-servers', {
        tenantId,
        name: 'gw',
        kind: 'openai',
        baseUrl: 'https://10.0.0.9/v1',
        apiKey: 'sk-123',
      });
      expect(withKey.status).toBe(400);
      expect(withKey.body.error).toMatch(/Set CONSOLE_SECRET \(at least 32 characters, the same on every instance/);
      expect(withKey.body.issues).toEqual([{ path: 'apiKey', message: 'cannot be stored without CONSOLE_SECRET' }]);
      const withoutKey = await call('POST', '/api/client/v1/inference-servers', { tenantId, name: 'gw', kind: 'openai', baseUrl: 'https://10.0.0.9/v1' });
      expect(withoutKey.status).toBe(201);
    } finally {
      await t.close();
    }
  });
});

// Typed against the current table types, so a column added by the alerts or browser modules shows up here at
// compile time instead of as a confusing insert failure.
function alertRule(tenantId: string, now: number): AlertRuleTable {
  return {
    id: `rule-${now}`,
    tenant_id: tenantId,
    name: 'latency',
    metric: 'latency_ms',
    aggregation: 'avg',
    operator: '>',
    threshold: 500,
    window_minutes: 5,
    server_id: null,
    severity: 'warning',
    no_data: 'ok',
    cooldown_minutes: 10,
    enabled: 1,
    created_at: now,
    updated_at: now,
  };
}

function browserSession(tenantId: string, now: number): BrowserSessionTable {
  return {
    id: `session-${now}`,
    tenant_id: tenantId,
    owner_instance_id: 'nobody',
    status: 'closed',
    start_url: 'https://example.com',
    reach: 'platform',
    current_url: null,
    title: null,
    created_at: now,
    last_activity_at: now,
    idle_timeout_ms: 60_000,
    max_lifetime_ms: 600_000,
    closed_at: now,
    close_reason: 'requested',
    error: null,
    blocked_requests: 0,
    thumbnail: null,
    thumbnail_at: null,
  };
}
