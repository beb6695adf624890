import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../auth/auth.schemas';
import { AppError } from '../errors';
import { insertSample, insertServer, runContext } from '../testing/alerts';
import { type TestContainer, testContainer } from '../testing/container';
import { type Answer, answerOf, contractChecker, contractClient } from '../testing/openapi-contract';
import { openApiResponse } from './client-api-docs';
import { guardClientApi } from './client-api-guard';
import { createHttpEdge } from './http-edge';
import { testCaller } from '../testing/callers';

type Json = Record<string, unknown>;
const API = '/api/client/v1';

/**
 * The OpenAPI document is the contract: every operation is driven through each answer it documents, and each
 * real answer (status, content type, body, documented headers) is validated against the served document with ajv.
 * The test fails when the document promises an answer no request here produced, or a real answer breaks it.
 */
describe('the client API answers as its OpenAPI document says', () => {
  let t: TestContainer;
  let other: TestContainer;
  let call: ReturnType<typeof contractClient>;
  let contract: ReturnType<typeof contractChecker>;
  let token: string;
  let reader: string;
  let pages: http.Server;
  let pageUrl: string;
  let peer = 0;

  beforeAll(async () => {
    pages = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>contract</title><p>ok</p>'));
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`;
    t = await testContainer('sqlite-local', {
      AUTH_FAILURES_PER_MINUTE: '2',
      BROWSER_MAX_SESSIONS: '2',
      TENANT_MAX_BROWSER_SESSIONS: '1',
      TENANT_MAX_NOTIFICATION_CHANNELS: '2',
    });
    // A second live instance on the same data: the owner of the session whose calls answer 409 here.
    other = await testContainer('sqlite-local', { INSTANCE_ID: 'contract-other' }, t.env);
    call = contractClient(t.c);
    contract = contractChecker((await (await openApiResponse()).json()) as Json);
    token = (await t.c.tokens.create(testCaller('test'), { name: 'contract', scopes: [...SCOPES] })).token;
    reader = (await t.c.tokens.create(testCaller('test'), { name: 'metrics-only', scopes: ['metrics:read'] })).token;
  }, 60_000);
  afterAll(async () => {
    await other?.close();
    await t?.close();
    await new Promise((resolve) => pages?.close(resolve));
  });

  /** Calls, checks against the document, and expects the status: the answer is returned for the next step. */
  async function expectAnswer(
    status: number,
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
  ): Promise<Answer> {
    const { op, answer } = await call(method, path, { token, ...options });
    expect(answer.status, `${op.operationId}: ${answer.text.slice(0, 300)}`).toBe(status);
    contract.check(method, op.path, answer);
    return answer;
  }

  /** 401, 403 and 429 of one operation, and its 414 and (for path parameters) the guard's 400. */
  async function commonAnswers(method: string, path: string): Promise<void> {
    const unauthenticated = await expectAnswer(401, method, path, {
      token: null,
      headers: { 'x-console-peer': `10.1.${Math.floor(++peer / 250)}.${peer % 250}` },
    });
    expect(unauthenticated.body.code).toBe('UNAUTHENTICATED');
    await expectAnswer(403, method, path, { token: reader });
    // A client that failed authentication AUTH_FAILURES_PER_MINUTE (2) times is refused before its token is read.
    for (let i = 0; i < 3; i++) await call(method, path, { token: 'cpeer_wrong', headers: { 'x-console-peer': '10.99.0.1' } });
    await expectAnswer(429, method, path, { token: 'cpeer_wrong', headers: { 'x-console-peer': '10.99.0.1' } });
    const { op } = await call(method, path, { token: reader });
    const edge = createHttpEdge({ corsOrigins: [] }).early(method, `${path}?q=${'x'.repeat(9000)}`, {});
    contract.check(method, op.path, {
      status: edge?.status ?? 0,
      headers: new Headers(edge?.headers),
      text: edge?.body ?? '',
      body: JSON.parse(edge?.body ?? '{}') as Json,
    });
    if (op.path.includes('{')) {
      let first = true;
      const bad = API + op.path.replace(/\{(\w+)\}/g, (_, name: string) => (first ? ((first = false), '%ff') : encodeURIComponent(op.params[name] ?? 'x')));
      const answer = await answerOf(guardClientApi(method, bad) ?? new Response());
      expect(answer.status, `malformed path of ${op.operationId}`).toBe(400);
      contract.check(method, op.path, answer);
    }
  }

  it('automations: list, get, run, pause, resume and runs, with ETag and 304', async () => {
    const list = await expectAnswer(200, 'GET', `${API}/automations`);
    await expectAnswer(304, 'GET', `${API}/automations`, { headers: { 'if-none-match': list.headers.get('etag') ?? '' } });
    const one = await expectAnswer(200, 'GET', `${API}/automations/alert-evaluation`);
    await expectAnswer(304, 'GET', `${API}/automations/alert-evaluation`, { headers: { 'if-none-match': `W/${one.headers.get('etag')}, "other"` } });
    await expectAnswer(400, 'GET', `${API}/automations/Bad_Key`);
    await expectAnswer(404, 'GET', `${API}/automations/no-such-automation`);
    await expectAnswer(200, 'POST', `${API}/automations/alert-evaluation/run`);
    await expectAnswer(400, 'POST', `${API}/automations/no-such-automation/run`);
    const reconcile = t.c.browser.port.reconcile;
    t.c.browser.port.reconcile = async () => {
      throw new Error('runtime exploded');
    };
    const failed = await expectAnswer(500, 'POST', `${API}/automations/browser-session-reconciliation/run`);
    expect(failed.body).toMatchObject({ code: 'RUN_FAILED', automation: { key: 'browser-session-reconciliation', state: 'degraded' } });
    t.c.browser.port.reconcile = reconcile;
    // The lock store (Redis) unreachable: what the service throws then, as the other suites prove with a real Redis.
    const run = t.c.automations.run.bind(t.c.automations);
    t.c.automations.run = async () => {
      throw new AppError('LOCK_STORE_UNAVAILABLE', 'Lock store (Redis) unavailable', { retryAfterSeconds: 5 });
    };
    await expectAnswer(503, 'POST', `${API}/automations/alert-evaluation/run`);
    t.c.automations.run = run;
    await expectAnswer(200, 'POST', `${API}/automations/alert-evaluation/pause`, { body: { reason: 'contract' } });
    await expectAnswer(400, 'POST', `${API}/automations/alert-evaluation/pause`, { body: '{"nope":1}' });
    await expectAnswer(500, 'POST', `${API}/automations/browser-session-reconciliation/pause`);
    await expectAnswer(200, 'POST', `${API}/automations/alert-evaluation/resume`);
    await expectAnswer(400, 'POST', `${API}/automations/Bad_Key/resume`);
    await expectAnswer(500, 'POST', `${API}/automations/browser-session-reconciliation/resume`);
    const runs = await expectAnswer(200, 'GET', `${API}/automations/alert-evaluation/runs?limit=1`);
    await expectAnswer(304, 'GET', `${API}/automations/alert-evaluation/runs?limit=1`, { headers: { 'if-none-match': runs.headers.get('etag') ?? '' } });
    await expectAnswer(400, 'GET', `${API}/automations/alert-evaluation/runs?limit=0`);
    await expectAnswer(404, 'GET', `${API}/automations/no-such-automation/runs`);
    for (const [method, path] of [
      ['GET', '/automations'],
      ['GET', '/automations/alert-evaluation'],
      ['POST', '/automations/alert-evaluation/run'],
      ['POST', '/automations/alert-evaluation/pause'],
      ['POST', '/automations/alert-evaluation/resume'],
      ['GET', '/automations/alert-evaluation/runs'],
    ] as const) {
      await commonAnswers(method, `${API}${path}`);
    }
  });

  it('tenants and inference servers', async () => {
    const tenant = (await expectAnswer(201, 'POST', `${API}/tenants`, { body: { name: 'Contract', slug: 'contract' } })).body.tenant as Json;
    await expectAnswer(409, 'POST', `${API}/tenants`, { body: { name: 'Again', slug: 'contract' } });
    await expectAnswer(400, 'POST', `${API}/tenants`, { body: { name: '' } });
    await expectAnswer(200, 'GET', `${API}/tenants?limit=10`);
    await expectAnswer(400, 'GET', `${API}/tenants?limit=0`);
    const tid = String(tenant.id);
    await expectAnswer(200, 'GET', `${API}/tenants/${tid}`);
    await expectAnswer(404, 'GET', `${API}/tenants/missing`);
    await expectAnswer(200, 'PATCH', `${API}/tenants/${tid}`, { body: { name: 'Contract Co' } });
    await expectAnswer(400, 'PATCH', `${API}/tenants/${tid}`, { body: { slug: 'Not A Slug' } });
    await expectAnswer(404, 'PATCH', `${API}/tenants/missing`, { body: { name: 'x' } });
    await expectAnswer(201, 'POST', `${API}/tenants`, { body: { name: 'Second', slug: 'second' } });
    await expectAnswer(409, 'PATCH', `${API}/tenants/${tid}`, { body: { slug: 'second' } });

    const serverBody = { tenantId: tid, name: 'gpu-1', kind: 'vllm', baseUrl: 'http://127.0.0.1:9/' };
    const server = (await expectAnswer(201, 'POST', `${API}/inference-servers`, { body: serverBody })).body.server as Json;
    await expectAnswer(409, 'POST', `${API}/inference-servers`, { body: serverBody });
    await expectAnswer(404, 'POST', `${API}/inference-servers`, { body: { ...serverBody, tenantId: 'missing' } });
    await expectAnswer(400, 'POST', `${API}/inference-servers`, { body: { ...serverBody, baseUrl: 'ftp://x' } });
    await expectAnswer(200, 'GET', `${API}/inference-servers?tenantId=${tid}`);
    await expectAnswer(404, 'GET', `${API}/inference-servers?tenantId=missing`);
    await expectAnswer(400, 'GET', `${API}/inference-servers?limit=501`);
    const sid = String(server.id);
    await expectAnswer(200, 'GET', `${API}/inference-servers/${sid}`);
    await expectAnswer(404, 'GET', `${API}/inference-servers/missing`);
    await expectAnswer(200, 'PATCH', `${API}/inference-servers/${sid}`, { body: { pollIntervalSeconds: 60 } });
    await expectAnswer(400, 'PATCH', `${API}/inference-servers/${sid}`, { body: { pollIntervalSeconds: 'often' } });
    await expectAnswer(404, 'PATCH', `${API}/inference-servers/missing`, { body: { pollIntervalSeconds: 60 } });
    await expectAnswer(201, 'POST', `${API}/inference-servers`, { body: { ...serverBody, name: 'gpu-2' } });
    await expectAnswer(409, 'PATCH', `${API}/inference-servers/${sid}`, { body: { name: 'gpu-2' } });
    await insertSample(t.c.database.db, tid, sid, Date.now() - 1000, { kv_cache_usage_pct: 42 });
    await expectAnswer(200, 'GET', `${API}/inference-servers/${sid}/samples?limit=5`);
    await expectAnswer(400, 'GET', `${API}/inference-servers/${sid}/samples?limit=-1`);
    await expectAnswer(404, 'GET', `${API}/inference-servers/missing/samples`);
    await expectAnswer(409, 'DELETE', `${API}/tenants/${tid}`);
    const doomed = (await expectAnswer(201, 'POST', `${API}/tenants`, { body: { name: 'Doomed', slug: 'doomed' } })).body.tenant as Json;
    await expectAnswer(200, 'DELETE', `${API}/tenants/${String(doomed.id)}`);
    await expectAnswer(404, 'DELETE', `${API}/tenants/missing`);
    const gone = (await expectAnswer(201, 'POST', `${API}/inference-servers`, { body: { ...serverBody, name: 'gpu-3' } })).body.server as Json;
    await expectAnswer(200, 'DELETE', `${API}/inference-servers/${String(gone.id)}`);
    await expectAnswer(404, 'DELETE', `${API}/inference-servers/missing`);
    for (const [method, path] of [
      ['GET', '/tenants'],
      ['POST', '/tenants'],
      ['GET', `/tenants/${tid}`],
      ['PATCH', `/tenants/${tid}`],
      ['DELETE', `/tenants/${tid}`],
      ['GET', '/inference-servers'],
      ['POST', '/inference-servers'],
      ['GET', `/inference-servers/${sid}`],
      ['PATCH', `/inference-servers/${sid}`],
      ['DELETE', `/inference-servers/${sid}`],
      ['GET', `/inference-servers/${sid}/samples`],
    ] as const) {
      await commonAnswers(method, `${API}${path}`);
    }
  });

  it('alert rules and incidents', async () => {
    const tid = String(((await call('POST', `${API}/tenants`, { token, body: { name: 'Alerts', slug: 'alerts' } })).answer.body.tenant as Json).id);
    const server = await insertServer(t.c.database.db, tid, 'gpu-a');
    const channel = (n: number) => ({ type: 'webhook', url: `http://127.0.0.1:9/hook-${n}`, secret: 'a-secret-of-16-chars+' });
    const ruleBody = { tenantId: tid, name: 'KV high', metric: 'kvCacheUsagePct', operator: '>', threshold: 90, channels: [channel(1)] };
    const rule = (await expectAnswer(201, 'POST', `${API}/alert-rules`, { body: ruleBody })).body.rule as Json & {
      id: string;
      channels: Array<{ id: string }>;
    };
    await expectAnswer(400, 'POST', `${API}/alert-rules`, { body: { ...ruleBody, threshold: 'high' } });
    await expectAnswer(404, 'POST', `${API}/alert-rules`, { body: { ...ruleBody, tenantId: 'missing' } });
    await expectAnswer(409, 'POST', `${API}/alert-rules`, { body: { ...ruleBody, name: 'Too many', channels: [channel(2), channel(3)] } });
    await expectAnswer(200, 'GET', `${API}/alert-rules?tenantId=${tid}`);
    await expectAnswer(400, 'GET', `${API}/alert-rules?limit=0`);
    await expectAnswer(404, 'GET', `${API}/alert-rules?tenantId=missing`);
    await expectAnswer(200, 'GET', `${API}/alert-rules/${rule.id}`);
    await expectAnswer(404, 'GET', `${API}/alert-rules/missing`);
    await expectAnswer(200, 'PATCH', `${API}/alert-rules/${rule.id}`, { body: { threshold: 95 } });
    await expectAnswer(400, 'PATCH', `${API}/alert-rules/${rule.id}`, { body: { threshold: 'x' } });
    await expectAnswer(404, 'PATCH', `${API}/alert-rules/missing`, { body: { threshold: 95 } });
    await expectAnswer(409, 'PATCH', `${API}/alert-rules/${rule.id}`, { body: { channels: [channel(1), channel(2), channel(3)] } });
    const channelId = rule.channels[0]?.id ?? '';
    await expectAnswer(200, 'POST', `${API}/alert-rules/${rule.id}/channels/${channelId}/rotate-secret`);
    await expectAnswer(400, 'POST', `${API}/alert-rules/${rule.id}/channels/${channelId}/rotate-secret`, { body: { overlapSeconds: -1 } });
    await expectAnswer(404, 'POST', `${API}/alert-rules/missing/channels/${channelId}/rotate-secret`);

    const at = Date.now();
    await insertSample(t.c.database.db, tid, server, at - 5 * 60_000, { kv_cache_usage_pct: 99 });
    await t.c.alerts.port.evaluateAll(runContext(at - 4 * 60_000));
    const incidents = (await expectAnswer(200, 'GET', `${API}/incidents?tenantId=${tid}`)).body.incidents as Array<{ id: string }>;
    await expectAnswer(400, 'GET', `${API}/incidents?status=closed`);
    await expectAnswer(404, 'GET', `${API}/incidents?tenantId=missing`);
    const incident = incidents[0]?.id ?? '';
    await expectAnswer(200, 'GET', `${API}/incidents/${incident}`);
    await expectAnswer(404, 'GET', `${API}/incidents/missing`);
    await expectAnswer(200, 'POST', `${API}/incidents/${incident}/acknowledge`, { body: { note: 'on it' } });
    await expectAnswer(400, 'POST', `${API}/incidents/${incident}/acknowledge`, { body: { note: 7 } });
    await expectAnswer(404, 'POST', `${API}/incidents/missing/acknowledge`);
    await expectAnswer(200, 'DELETE', `${API}/alert-rules/${rule.id}`); // resolves the incident
    await expectAnswer(409, 'POST', `${API}/incidents/${incident}/acknowledge`);
    await expectAnswer(404, 'DELETE', `${API}/alert-rules/missing`);
    for (const [method, path] of [
      ['GET', '/alert-rules'],
      ['POST', '/alert-rules'],
      ['GET', `/alert-rules/${rule.id}`],
      ['PATCH', `/alert-rules/${rule.id}`],
      ['DELETE', `/alert-rules/${rule.id}`],
      ['POST', `/alert-rules/${rule.id}/channels/${channelId}/rotate-secret`],
      ['GET', '/incidents'],
      ['GET', `/incidents/${incident}`],
      ['POST', `/incidents/${incident}/acknowledge`],
    ] as const) {
      await commonAnswers(method, `${API}${path}`);
    }
  });

  it('browser sessions, on a real Chromium', async () => {
    const tenant = async (slug: string) =>
      String(((await call('POST', `${API}/tenants`, { token, body: { name: slug, slug } })).answer.body.tenant as Json).id);
    const [a, b, c] = [await tenant('browser-a'), await tenant('browser-b'), await tenant('browser-c')];
    const created = await expectAnswer(201, 'POST', `${API}/browser/sessions`, { body: { tenantId: a, url: pageUrl } });
    const id = String((created.body.session as Json).id);
    expect(created.headers.get('location')).toBe(`${API}/browser/sessions/${id}`);
    await expectAnswer(409, 'POST', `${API}/browser/sessions`, { body: { tenantId: a, url: pageUrl } }); // the tenant's quota (1)
    await expectAnswer(201, 'POST', `${API}/browser/sessions`, { body: { tenantId: b, url: pageUrl } });
    await expectAnswer(429, 'POST', `${API}/browser/sessions`, { body: { tenantId: c, url: pageUrl } }); // the instance's cap (2)
    await expectAnswer(400, 'POST', `${API}/browser/sessions`, { body: { tenantId: c, url: 'file:///etc/passwd' } });
    await expectAnswer(404, 'POST', `${API}/browser/sessions`, { body: { tenantId: 'missing', url: pageUrl } });
    const create = t.c.browser.sessions.create.bind(t.c.browser.sessions);
    t.c.browser.sessions.create = async () => {
      throw new AppError('SHUTTING_DOWN', 'This instance is shutting down; retry on another', { retryAfterSeconds: 2 });
    };
    await expectAnswer(503, 'POST', `${API}/browser/sessions`, { body: { tenantId: c, url: pageUrl } });
    t.c.browser.sessions.create = create;
    await expectAnswer(200, 'GET', `${API}/browser/sessions?tenantId=${a}`);
    await expectAnswer(400, 'GET', `${API}/browser/sessions?limit=0`);
    await expectAnswer(404, 'GET', `${API}/browser/sessions?tenantId=missing`);
    const missing = `${API}/browser/sessions/00000000-0000-4000-8000-000000000000`;
    await expectAnswer(200, 'GET', `${API}/browser/sessions/${id}`);
    await expectAnswer(400, 'GET', `${API}/browser/sessions/not-a-uuid`);
    await expectAnswer(404, 'GET', missing);
    await expectAnswer(200, 'POST', `${API}/browser/sessions/${id}/navigate`, { body: { url: `${pageUrl}next` } });
    await expectAnswer(400, 'POST', `${API}/browser/sessions/${id}/navigate`, { body: { url: 'javascript:alert(1)' } });
    await expectAnswer(404, 'POST', `${missing}/navigate`, { body: { url: pageUrl } });
    await expectAnswer(200, 'GET', `${API}/browser/sessions/${id}/screenshot`);
    await expectAnswer(400, 'GET', `${API}/browser/sessions/not-a-uuid/screenshot`);
    await expectAnswer(404, 'GET', `${missing}/screenshot`);
    // A session another live instance owns: only that instance can act on it.
    const foreign = crypto.randomUUID();
    await t.c.database.db
      .insertInto('browser_sessions')
      .values({
        id: foreign,
        tenant_id: c,
        owner_instance_id: other.c.config.instanceId,
        status: 'ready',
        start_url: pageUrl,
        reach: 'platform',
        current_url: null,
        title: null,
        created_at: Date.now(),
        last_activity_at: Date.now(),
        idle_timeout_ms: 60_000,
        max_lifetime_ms: 600_000,
        closed_at: null,
        close_reason: null,
        error: null,
        blocked_requests: 0,
        thumbnail: null,
        thumbnail_at: null,
      })
      .execute();
    await expectAnswer(409, 'DELETE', `${API}/browser/sessions/${foreign}`);
    await expectAnswer(409, 'POST', `${API}/browser/sessions/${foreign}/navigate`, { body: { url: pageUrl } });
    await expectAnswer(409, 'GET', `${API}/browser/sessions/${foreign}/screenshot`);
    await expectAnswer(200, 'DELETE', `${API}/browser/sessions/${id}`);
    await expectAnswer(400, 'DELETE', `${API}/browser/sessions/not-a-uuid`);
    await expectAnswer(404, 'DELETE', missing);
    for (const [method, path] of [
      ['GET', '/browser/sessions'],
      ['POST', '/browser/sessions'],
      ['GET', `/browser/sessions/${id}`],
      ['DELETE', `/browser/sessions/${id}`],
      ['POST', `/browser/sessions/${id}/navigate`],
      ['GET', `/browser/sessions/${id}/screenshot`],
    ] as const) {
      await commonAnswers(method, `${API}${path}`);
    }
  }, 60_000);

  it('the answers before routing are the documented components, and every documented answer was produced', async () => {
    contract.checkComponent('NoSuchEndpoint', await answerOf(guardClientApi('GET', `${API}/nothing/here`) ?? new Response()));
    contract.checkComponent('MethodNotAllowed', await answerOf(guardClientApi('DELETE', `${API}/automations`) ?? new Response()));
    const edge = createHttpEdge({ corsOrigins: [] });
    for (const [name, method, target] of [
      ['MethodNotAllowed', 'TRACE', `${API}/automations`],
      ['NoSuchEndpoint', 'PROPFIND', `${API}/nothing`],
      ['MalformedPath', 'TRACE', `${API}/tenants/%ff`],
      ['UriTooLong', 'GET', `${API}/automations?${'q'.repeat(9000)}`],
    ] as const) {
      const answer = edge.early(method, target, {});
      contract.checkComponent(name, {
        status: answer?.status ?? 0,
        headers: new Headers(answer?.headers),
        text: answer?.body ?? '',
        body: JSON.parse(answer?.body ?? '{}') as Json,
      });
    }
    const promised = contract.promised();
    const missing = promised.filter((p) => !contract.seen.has(p));
    const operations = new Set(promised.map((p) => p.split(' ')[0]));
    console.log(
      `OpenAPI contract: ${operations.size} operations, ${promised.length - missing.length} of ${promised.length} documented answers produced and valid, ${[...contract.seen].filter((s) => s.startsWith('component')).length} answers before routing valid`,
    );
    expect(missing).toEqual([]);
    expect(operations.size).toBe(32);
  });
});
