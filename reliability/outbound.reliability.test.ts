import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleProcess, ensureBuild, startConsole } from '../src/server/testing/console-process';
import { type TestContainer, testContainer } from '../src/server/testing/container';
import { freePort } from '../src/server/testing/free-port';
import { DEFAULT_OUTBOUND_ENV } from '../src/server/testing/outbound';
import { report, waitFor } from './cluster';
import { testCaller, testToken } from '../src/server/testing/callers';
import { SCOPES } from '../src/shared/scopes';

/**
 * Issue 13 items 1–2 against real consoles on the embedded default: what a tenant-restricted token can reach
 * through browser sessions, polls and webhooks on a default install (nothing on loopback or private addresses),
 * that no upstream body ever travels back, and that the demo fleet still works with DEMO_FLEET=on.
 */

const SECRET_TEXT = 'SECRET-INTERNAL-TEXT';
const ADMIN = { email: 'admin@outbound.test', password: 'outbound-password' };
type Json = Record<string, unknown>;

/** An "internal service": answers every request with a 503 error page carrying a secret, and counts requests. */
async function internalService(): Promise<{ port: number; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(503, { 'content-type': 'text/html' }).end(`<title>${SECRET_TEXT}</title><p>${SECRET_TEXT}: db password hunter2</p>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Console {
  process: ConsoleProcess;
  data: TestContainer;
  call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json; text: string }>;
  tokens: { platform: string; tenant: string };
  tenantId: string;
}

/** A console on its own SQLite file, with a platform token, a tenant and a token restricted to it. */
async function openConsole(env: Record<string, string>): Promise<Console> {
  const data = await testContainer('sqlite-local');
  const tenantId = (await data.c.tenants.service.create(testToken(), { name: 'Acme', slug: 'acme' })).id;
  const scopes = SCOPES.filter((scope) => scope !== 'metrics:read');
  const platform = (await data.c.tokens.create(testCaller('test'), { name: 'platform', scopes: [...scopes] })).token;
  const tenant = (await data.c.tokens.create(testCaller('test'), { name: 'acme', scopes: [...scopes], tenantId })).token;
  const process = await startConsole({
    DATA_DIR: data.env.DATA_DIR ?? '',
    // The embedded default, whatever the surrounding environment says.
    DATABASE_URL: '',
    REDIS_URL: '',
    LOG_LEVEL: 'debug',
    CONSOLE_ADMIN_EMAIL: ADMIN.email,
    CONSOLE_ADMIN_PASSWORD: ADMIN.password,
    API_RATE_LIMIT_PER_MINUTE: '100000',
    ALERTS_DELIVERY_POLL_MS: '200',
    ...env,
  });
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${process.url}/api/client/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json, text };
  };
  return { process, data, call, tokens: { platform, tenant }, tenantId };
}

async function closeConsole(c: Console | undefined): Promise<void> {
  await c?.process.stop('SIGKILL');
  await c?.data.close();
}

const runPoll = (c: Console) => c.call('POST', '/automations/inference-monitoring-poll/run', c.tokens.platform);
const runEvaluation = (c: Console) => c.call('POST', '/automations/alert-evaluation/run', c.tokens.platform);

/** The deliveries of an incident's timeline events. */
function deliveriesOf(incident: Json): Json[] {
  return ((incident.timeline as Json[] | undefined) ?? []).flatMap((event) => (event.deliveries as Json[] | undefined) ?? []);
}

function downRule(tenantId: string, serverId: string, url: string): Json {
  return {
    tenantId,
    name: `down ${url}`,
    metric: 'up',
    aggregation: 'last',
    operator: '==',
    threshold: 0,
    windowMinutes: 5,
    serverId,
    channels: [{ type: 'webhook', url }],
  };
}

describe('outbound reach on a default install, with DEMO_FLEET=on', () => {
  let defaults: Console | undefined;
  let internal: Awaited<ReturnType<typeof internalService>>;
  let demoPort = 0;

  beforeAll(async () => {
    ensureBuild();
    internal = await internalService();
    demoPort = await freePort();
    defaults = await openConsole({ ...DEFAULT_OUTBOUND_ENV, DEMO_FLEET: 'on', DEMO_FLEET_PORT: String(demoPort) });
  });
  afterAll(async () => {
    await closeConsole(defaults);
    await internal?.close();
  });

  it('a tenant-restricted token reads nothing from loopback through browser sessions, polls or webhooks', async () => {
    const c = defaults;
    if (!c) throw new Error('console');
    const { tenant } = c.tokens;
    const literal = `http://127.0.0.1:${internal.port}/`;
    const named = `http://localhost:${internal.port}/`;

    // Browser sessions: refused before a page exists, so there is no title or screenshot to read.
    for (const url of [literal, named, `http://[::1]:${internal.port}/`]) {
      const res = await c.call('POST', '/browser/sessions', tenant, { tenantId: c.tenantId, url });
      expect(res.status, url).toBe(400);
      expect(res.text).toContain('OUTBOUND_ALLOW_BROWSER');
      expect(res.text).not.toContain(SECRET_TEXT);
    }
    expect(((await c.call('GET', '/browser/sessions', tenant)).body.sessions as Json[]).length).toBe(0);

    // Polls: a literal is refused at creation, naming the variables; a name that resolves to loopback is refused at connect.
    const byLiteral = await c.call('POST', '/inference-servers', tenant, { tenantId: c.tenantId, name: 'literal', kind: 'vllm', baseUrl: literal });
    expect(byLiteral.status).toBe(400);
    expect(byLiteral.body.error).toBe(
      `baseUrl points to 127.0.0.1, which is a loopback address; to allow it for polls set OUTBOUND_ALLOW_POLL (for tenants: OUTBOUND_TENANT_ALLOW_POLL)`,
    );
    const byName = await c.call('POST', '/inference-servers', tenant, { tenantId: c.tenantId, name: 'named', kind: 'vllm', baseUrl: named });
    expect(byName.status).toBe(201);
    const serverId = String((byName.body.server as Json).id);
    expect((await runPoll(c)).status).toBe(200);
    const server = (await c.call('GET', `/inference-servers/${serverId}`, tenant)).body.server as Json;
    expect(server).toMatchObject({ status: 'down', lastError: 'GET /health: refused by outbound policy' });

    // Webhooks: the same two ways in, the same answers; the delivery records a classification.
    const hookLiteral = await c.call('POST', '/alert-rules', tenant, downRule(c.tenantId, serverId, `${literal}hook`));
    expect(hookLiteral.status).toBe(400);
    expect(String(hookLiteral.body.error)).toContain('to allow it for webhooks set OUTBOUND_ALLOW_WEBHOOK (for tenants: OUTBOUND_TENANT_ALLOW_WEBHOOK)');
    expect((await c.call('POST', '/alert-rules', tenant, downRule(c.tenantId, serverId, `${named}hook`))).status).toBe(201);
    expect((await runEvaluation(c)).status).toBe(200);
    const incidents = (await c.call('GET', '/incidents', tenant)).body.incidents as Json[];
    expect(incidents.length).toBe(1);
    const { value: delivery } = await waitFor('the delivery attempt', 15_000, async () => {
      const detail = (await c.call('GET', `/incidents/${String(incidents[0]?.id)}`, tenant)).body.incident as Json;
      const [first] = deliveriesOf(detail);
      return first && first.status !== 'queued' ? first : undefined;
    });
    expect(delivery).toMatchObject({ status: 'failed', lastError: 'refused by outbound policy' });

    expect(internal.hits()).toBe(0);
    report(
      'outbound: tenant on a default install',
      `browser 3/3, polls 2/2, webhooks 2/2 refused; requests that reached the loopback service: ${internal.hits()}`,
    );
  });

  it('DEMO_FLEET=on: the demo data polls succeed, and no other loopback port opens with it', async () => {
    const c = defaults;
    if (!c) throw new Error('console');
    const login = await fetch(`${c.process.url}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const loaded = await fetch(`${c.process.url}/api/trpc/inference.loadDemo`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' } });
    expect(loaded.status).toBe(200);
    expect((await runPoll(c)).status).toBe(200);
    const servers = ((await c.call('GET', '/inference-servers', c.tokens.platform)).body.servers as Json[]).filter((s) => String(s.name).startsWith('demo-'));
    expect(servers.map((s) => s.kind).sort()).toEqual(['llamacpp', 'ollama', 'openai', 'tgi', 'vllm']);
    for (const s of servers) {
      // The simulated TGI "restarts" for 45 s every 10 minutes (HTTP 503); every other kind must be up.
      if (s.kind === 'tgi' && s.status === 'down') expect(s.lastError).toBe('GET /health: HTTP 503');
      else expect(s, String(s.kind)).toMatchObject({ status: 'up' });
    }
    // The platform itself gets the fleet's own port only: another loopback port, or the console's own, is refused.
    for (const port of [internal.port, c.process.port, demoPort + 1]) {
      const other = await c.call('POST', '/inference-servers', c.tokens.platform, {
        tenantId: c.tenantId,
        name: `other-${port}`,
        kind: 'vllm',
        baseUrl: `http://127.0.0.1:${port}`,
      });
      expect(other.status, String(port)).toBe(400);
    }
    const viaName = await c.call('POST', '/inference-servers', c.tokens.platform, {
      tenantId: c.tenantId,
      name: 'other-named',
      kind: 'vllm',
      baseUrl: `http://localhost:${internal.port}`,
    });
    expect(viaName.status).toBe(201);
    await runPoll(c);
    expect(((await c.call('GET', `/inference-servers/${String((viaName.body.server as Json).id)}`, c.tokens.platform)).body.server as Json).lastError).toBe(
      'GET /health: refused by outbound policy',
    );
    expect(internal.hits()).toBe(0);
    report(
      'outbound: demo fleet',
      `${servers.filter((s) => s.status === 'up').length}/5 demo servers up on DEMO_FLEET_PORT=${demoPort}; 3 other loopback ports refused at creation, 1 name refused at connect`,
    );
  });
});

describe('upstream bodies never travel back', () => {
  let listed: Console | undefined;
  let internal: Awaited<ReturnType<typeof internalService>>;

  beforeAll(async () => {
    ensureBuild();
    internal = await internalService();
    // The platform lists exactly the internal service for polls and webhooks; it answers 503 with a secret page.
    listed = await openConsole({
      ...DEFAULT_OUTBOUND_ENV,
      OUTBOUND_ALLOW_POLL: `127.0.0.1:${internal.port}`,
      OUTBOUND_ALLOW_WEBHOOK: `127.0.0.1:${internal.port}`,
    });
  });
  afterAll(async () => {
    await closeConsole(listed);
    await internal?.close();
  });

  it('lastError, deliveries and logs hold the status code only', async () => {
    const c = listed;
    if (!c) throw new Error('console');
    const base = `http://127.0.0.1:${internal.port}`;
    const created = await c.call('POST', '/inference-servers', c.tokens.platform, { tenantId: c.tenantId, name: 'internal', kind: 'llamacpp', baseUrl: base });
    expect(created.status).toBe(201);
    const serverId = String((created.body.server as Json).id);
    // The platform's list is not the tenant's: the same URL set by the tenant is refused.
    expect((await c.call('POST', '/inference-servers', c.tokens.tenant, { tenantId: c.tenantId, name: 'mine', kind: 'llamacpp', baseUrl: base })).status).toBe(
      400,
    );
    await runPoll(c);
    const server = (await c.call('GET', `/inference-servers/${serverId}`, c.tokens.tenant)).body.server as Json;
    expect(server).toMatchObject({ status: 'down', lastError: 'GET /health: HTTP 503' });
    const samples = await c.call('GET', `/inference-servers/${serverId}/samples`, c.tokens.tenant);
    expect(samples.text).not.toContain(SECRET_TEXT);

    expect((await c.call('POST', '/alert-rules', c.tokens.platform, downRule(c.tenantId, serverId, `${base}/hook`))).status).toBe(201);
    await runEvaluation(c);
    const incidents = (await c.call('GET', '/incidents', c.tokens.tenant)).body.incidents as Json[];
    const { value: detail } = await waitFor('a failed delivery attempt', 15_000, async () => {
      const res = await c.call('GET', `/incidents/${String(incidents[0]?.id)}`, c.tokens.tenant);
      const deliveries = deliveriesOf(res.body.incident as Json);
      return deliveries.some((d) => Number(d.attempts) >= 1) ? res : undefined;
    });
    expect(deliveriesOf(detail.body.incident as Json)[0]).toMatchObject({ lastError: 'HTTP 503', lastStatusCode: 503 });
    expect(detail.text).not.toContain(SECRET_TEXT);
    expect(internal.hits()).toBeGreaterThanOrEqual(2);
    expect(c.process.output()).not.toContain(SECRET_TEXT);
    expect(c.process.output()).not.toContain('hunter2');
    report(
      'outbound: upstream bodies',
      `${internal.hits()} requests answered with a secret error page; it appears in 0 of lastError, samples, deliveries and ${c.process.output().split('\n').length} log lines`,
    );
  });
});
