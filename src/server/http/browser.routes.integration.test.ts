import http from 'node:http';
import { TRPCClientError } from '@trpc/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, type Scope } from '../auth/auth.schemas';
import { browserSessionReaper } from '../automations/definitions/browser-session-reaper';
import { browserSessionReconciliation } from '../automations/definitions/browser-session-reconciliation';
import type { RunContext } from '../automations/definition';
import { recordingRunContext } from '../testing/run-context';
import { type Container, createContainer } from '../container';
import { browserRoutes } from './browser.routes';
import { restClient, trpcClient } from '../testing/clients';
import { testContainer } from '../testing/container';
import { TEST_OUTBOUND_ENV } from '../testing/outbound';
import type { AppRouter } from '../trpc/app-router';
import { postgresAvailable, redisAvailable, tempDir, uniqueId } from '../testing/services';
import type { SessionStatus, SessionView } from '../browser/browser.schemas';
import { testCaller, testToken } from '../testing/callers';

/**
 * Browser sessions over the real Debian Chromium, served pages from a node:http server on 127.0.0.1. Containers
 * get a controllable clock, so idle and lifetime deadlines pass by moving the clock instead of sleeping.
 */

interface PageServer {
  origin: string;
  close(): Promise<void>;
}

async function startPageServer(): Promise<PageServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://pages.test');
    const html = (title: string, body = '') => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>${title}</title><h1>${title}</h1>${body}`);
    };
    switch (url.pathname) {
      case '/page':
        return html(url.searchParams.get('title') ?? 'Page');
      case '/to-metadata':
        // A page the start URL check cannot see coming: only the redirect points at the metadata address.
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        return res.end();
      case '/with-metadata-image':
        return html('Image', '<img src="http://169.254.169.254/latest/meta-data/logo.png">');
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Wall-clock time plus an offset the test moves forward. */
function testClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
}

interface Harness {
  c: Container;
  env: Record<string, string>;
  clock: ReturnType<typeof testClock>;
  /** Closes the database and the bus but not the runtime: what a killed process leaves behind. */
  abandon(): Promise<void>;
  close(): Promise<void>;
}

/** A container on SQLite in a temp dir (or on `shared` data), with a test clock; like testing/container.ts. */
async function openHarness(extraEnv: Record<string, string> = {}, shared?: Record<string, string>): Promise<Harness> {
  const temp = shared ? null : tempDir('browser');
  const env = shared ?? { DATA_DIR: temp?.dir ?? '' };
  const clock = testClock();
  const c = await createContainer({ LOG_LEVEL: 'silent', INSTANCE_ID: uniqueId('browser'), ...TEST_OUTBOUND_ENV, ...env, ...extraEnv }, clock.now);
  await c.instances.register({});
  let abandoned = false;
  const abandon = async () => {
    if (abandoned) return;
    abandoned = true;
    await c.bus.close();
    await c.database.close();
  };
  return {
    c,
    env,
    clock,
    abandon,
    async close() {
      if (!abandoned) await c.browser.upkeep.shutdown();
      await c.browser.runtime.shutdown();
      await abandon();
      temp?.cleanup();
    },
  };
}

async function insertTenant(c: Container, id = uniqueId('tenant')): Promise<string> {
  await c.database.db
    .insertInto('tenants')
    .values({ id, name: `Tenant ${id}`, slug: id.replaceAll('_', '-'), created_at: Date.now() })
    .execute();
  return id;
}

async function token(c: Container, scopes: readonly Scope[] = SCOPES, tenantId: string | null = null): Promise<string> {
  return (await c.tokens.create(testCaller('test'), { name: uniqueId('tok'), scopes: [...scopes], tenantId })).token;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  bytes: Buffer;
}

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** Calls the browser REST handlers exactly as the App Router's route files do. */
function browserRest(c: Container, bearer: string) {
  const routes = browserRoutes(async () => c);
  const base = /^\/api\/client\/v1\/browser\/sessions/;
  const table: Array<[string, RegExp, Handler]> = [
    ['GET', new RegExp(`${base.source}$`), routes.list],
    ['POST', new RegExp(`${base.source}$`), routes.create],
    ['GET', new RegExp(`${base.source}/([^/]+)$`), routes.get],
    ['DELETE', new RegExp(`${base.source}/([^/]+)$`), routes.close],
    ['POST', new RegExp(`${base.source}/([^/]+)/navigate$`), routes.navigate],
    ['GET', new RegExp(`${base.source}/([^/]+)/screenshot$`), routes.screenshot],
  ];
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const url = new URL(path, 'http://console.test');
    const match = table.find(([m, pattern]) => m === method && pattern.test(url.pathname));
    if (!match) throw new Error(`no route for ${method} ${url.pathname}`);
    const id = match[1].exec(url.pathname)?.[1];
    const response = await match[2](
      new Request(url, { method, headers: { authorization: `Bearer ${bearer}` }, body: body === undefined ? undefined : JSON.stringify(body) }),
      { params: Promise.resolve<Record<string, string>>(id === undefined ? {} : { id: decodeURIComponent(id) }) },
    );
    const bytes = Buffer.from(await response.arrayBuffer());
    const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
    return { status: response.status, headers: response.headers, body: isJson ? (JSON.parse(bytes.toString()) as Record<string, unknown>) : {}, bytes };
  };
}

const sessionOf = (a: Answer) => a.body.session as SessionView;
const PATH = '/api/client/v1/browser/sessions';
/** Upper bound for waiting on asynchronous effects (a process exit, a change event); not a performance assertion. */
const POLL = { timeout: 15_000, interval: 50 };
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function reaperView(c: Container) {
  const res = await restClient(c, await token(c, ['automations:read']))('GET', '/api/client/v1/automations/browser-session-reaper');
  return res.body.automation as { state: string; lastError: string | null; metrics: Record<string, unknown> };
}

function runContext(c: Container): RunContext {
  return recordingRunContext({ instanceId: c.config.instanceId, now: c.now });
}

/** A session row written directly: what another instance, or an earlier process, left in the database. */
async function insertSessionRow(
  c: Container,
  row: { tenantId: string; owner: string; status: SessionStatus; createdAt: number; closedAt?: number },
): Promise<string> {
  const id = crypto.randomUUID();
  await c.database.db
    .insertInto('browser_sessions')
    .values({
      id,
      tenant_id: row.tenantId,
      owner_instance_id: row.owner,
      status: row.status,
      start_url: 'http://127.0.0.1/',
      reach: 'platform',
      current_url: null,
      title: null,
      created_at: row.createdAt,
      last_activity_at: row.createdAt,
      idle_timeout_ms: 1000,
      max_lifetime_ms: 1000,
      closed_at: row.closedAt ?? null,
      close_reason: row.closedAt === undefined ? null : 'requested',
      error: null,
      blocked_requests: 0,
      thumbnail: null,
      thumbnail_at: null,
    })
    .execute();
  return id;
}

async function liveSessionIds(c: Container): Promise<string[]> {
  const rows = await c.database.db.selectFrom('browser_sessions').select('id').where('status', 'in', ['starting', 'ready']).execute();
  return rows.map((r) => r.id);
}

let pages: PageServer;
beforeAll(async () => {
  pages = await startPageServer();
});
afterAll(async () => {
  await pages?.close();
});

describe('browser sessions on one instance (SQLite, one shared runtime)', () => {
  let h: Harness;
  let tenant: string;
  let call: ReturnType<typeof browserRest>;

  beforeAll(async () => {
    h = await openHarness({ BROWSER_MAX_SESSIONS: '4' });
    tenant = await insertTenant(h.c);
    call = browserRest(h.c, await token(h.c));
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async () => {
    // Every test starts with an empty runtime: the cap and liveSessions count from zero.
    for (const id of await liveSessionIds(h.c)) await h.c.browser.sessions.close(testCaller('test'), id);
  });

  it('creates a session that answers once loaded; navigate, screenshot and close count as activity, reads do not', async () => {
    const created = await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page?title=Start` });
    expect(created.status).toBe(201);
    const session = sessionOf(created);
    expect(session).toMatchObject({
      tenantId: tenant,
      status: 'ready',
      ownerInstanceId: h.c.config.instanceId,
      startUrl: `${pages.origin}/page?title=Start`,
      title: 'Start',
      error: null,
      closeReason: null,
      idleTimeoutMs: h.c.browser.settings.idleTimeout.defaultMs,
      maxLifetimeMs: h.c.browser.settings.maxLifetime.defaultMs,
    });
    expect(session.thumbnailAt).not.toBeNull();
    expect(h.c.browser.runtime.holds(session.id)).toBe(true);
    expect(h.c.browser.port.status()).toMatchObject({ browserConnected: true, liveSessions: 1, failure: null });

    // Reading (get, list, thumbnail) leaves the last activity where it was, however much time passes.
    h.clock.advance(5_000);
    const read = sessionOf(await call('GET', `${PATH}/${session.id}`));
    expect(read.lastActivityAt).toBe(session.lastActivityAt);
    const listed = (await call('GET', `${PATH}?tenantId=${tenant}&status=ready`)).body.sessions as SessionView[];
    expect(listed.map((s) => s.id)).toEqual([session.id]);
    expect((await h.c.browser.sessions.thumbnail({ tenantId: null }, session.id)).dataUrl).toMatch(/^data:image\/jpeg;base64,/);
    expect(sessionOf(await call('GET', `${PATH}/${session.id}`)).lastActivityAt).toBe(session.lastActivityAt);

    const navigated = sessionOf(await call('POST', `${PATH}/${session.id}/navigate`, { url: `${pages.origin}/page?title=Second` }));
    expect(navigated).toMatchObject({ status: 'ready', title: 'Second', currentUrl: `${pages.origin}/page?title=Second`, error: null });
    expect(Date.parse(navigated.lastActivityAt)).toBeGreaterThan(Date.parse(session.lastActivityAt));

    h.clock.advance(5_000);
    const shot = await call('GET', `${PATH}/${session.id}/screenshot`);
    expect(shot.status).toBe(200);
    expect(shot.headers.get('content-type')).toBe('image/png');
    expect(shot.bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const afterShot = sessionOf(await call('GET', `${PATH}/${session.id}`));
    expect(Date.parse(afterShot.lastActivityAt)).toBeGreaterThan(Date.parse(navigated.lastActivityAt));

    h.clock.advance(5_000);
    const closed = sessionOf(await call('DELETE', `${PATH}/${session.id}`));
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'requested', idleExpiresAt: null, lifetimeExpiresAt: null });
    expect(Date.parse(closed.lastActivityAt)).toBeGreaterThan(Date.parse(afterShot.lastActivityAt));
    expect(h.c.browser.runtime.holds(session.id)).toBe(false);
    expect(h.c.browser.port.status().liveSessions).toBe(0);
    // Idempotent; actions on a closed session are conflicts that say why.
    expect(sessionOf(await call('DELETE', `${PATH}/${session.id}`))).toMatchObject({ status: 'closed', closedAt: closed.closedAt });
    const late = await call('POST', `${PATH}/${session.id}/navigate`, { url: `${pages.origin}/page` });
    expect(late.status).toBe(409);
    expect(late.body.error).toContain('closed (requested)');

    const audit = await h.c.audit.list({ target: session.id, limit: 10 });
    // The repeated close changed nothing, so it is not a second audited action.
    expect(audit.map((a) => a.action).sort()).toEqual(['browser.session.close', 'browser.session.create', 'browser.session.navigate']);
    expect(audit.every((a) => a.actor.startsWith('token:'))).toBe(true);
  });

  it('the next reaper run closes exactly the sessions past their idle timeout or max lifetime, and the REST view drops them', async () => {
    const create = async (body: Record<string, unknown>) => sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page`, ...body }));
    const reap = async () => {
      // The test clock runs ahead of the heartbeat; keep this instance live in its own eyes.
      await h.c.instances.heartbeat({});
      const result = await h.c.automations.run(testToken(), 'browser-session-reaper');
      if (result.outcome !== 'finished') throw new Error(`reaper did not run: ${result.outcome}`);
      return result;
    };
    const status = async (id: string) => sessionOf(await call('GET', `${PATH}/${id}`));
    // Deadlines far apart, so the real time the creates take cannot decide the outcome; only the clock does.
    const idle = await create({ idleTimeoutMs: 2_000 });
    // Ended sessions are kept for BROWSER_SESSION_RETENTION_DAYS (7), then deleted by the reaper.
    const day = 86_400_000;
    const ancient = await insertSessionRow(h.c, {
      tenantId: tenant,
      owner: 'old-instance',
      status: 'expired',
      createdAt: h.clock.now() - 9 * day,
      closedAt: h.clock.now() - 8 * day,
    });
    const recent = await insertSessionRow(h.c, {
      tenantId: tenant,
      owner: 'old-instance',
      status: 'closed',
      createdAt: h.clock.now() - 2 * day,
      closedAt: h.clock.now() - day,
    });
    const shortLived = await create({ idleTimeoutMs: 60_000, maxLifetimeMs: 30_000 });
    const keeper = await create({ idleTimeoutMs: 60_000 });
    expect((await reaperView(h.c)).metrics.liveSessions).toBe(3);

    h.clock.advance(2_500);
    const first = await reap();
    expect(first.run).toMatchObject({ outcome: 'succeeded', metrics: { sessionsClosed: 1 } });
    expect(first.automation.metrics).toMatchObject({ liveSessions: 2, browserConnected: true, shuttingDown: false });
    expect(await status(idle.id)).toMatchObject({ status: 'expired', closeReason: 'idle-timeout', idleExpiresAt: null });
    expect(await status(shortLived.id)).toMatchObject({ status: 'ready' });
    expect((await call('GET', `${PATH}/${ancient}`)).status).toBe(404);
    expect(await status(recent)).toMatchObject({ status: 'closed' });

    h.clock.advance(13_000);
    // Activity keeps a session from idling out but does not extend its lifetime.
    await call('POST', `${PATH}/${shortLived.id}/navigate`, { url: `${pages.origin}/page?title=busy` });
    h.clock.advance(16_000);
    const second = await reap();
    expect(second.automation.metrics).toMatchObject({ liveSessions: 1 });
    expect(await status(shortLived.id)).toMatchObject({ status: 'expired', closeReason: 'max-lifetime' });
    expect(await status(keeper.id)).toMatchObject({ status: 'ready' });
    // The database and the runtime agree.
    expect([idle.id, shortLived.id, keeper.id].map((id) => h.c.browser.runtime.holds(id))).toEqual([false, false, true]);
    expect((await reaperView(h.c)).metrics.liveSessions).toBe(1);

    // A further run finds nothing more to do.
    expect((await reap()).run.metrics).toMatchObject({ sessionsClosed: 0, liveSessions: 1 });
  });

  it('enforces the per-instance cap with 429 and Retry-After, and a closed session frees its slot', async () => {
    // Two tenants: each tenant's quota (a fair share, BROWSER_MAX_SESSIONS − 1 = 3) lets its creates through, so
    // the fifth create meets the instance's cap.
    const other = await insertTenant(h.c);
    const body = { tenantId: tenant, url: `${pages.origin}/page`, idleTimeoutMs: 90_000 };
    const results = await Promise.all([tenant, tenant, tenant, other, other].map((tenantId) => call('POST', PATH, { ...body, tenantId })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 429]);
    const refused = results.find((r) => r.status === 429);
    expect(refused?.body.error).toContain('maximum of 4 live sessions (BROWSER_MAX_SESSIONS)');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.c.browser.port.status().liveSessions).toBe(4);

    const first = results.find((r) => r.status === 201);
    if (!first) throw new Error('no session was created');
    await call('DELETE', `${PATH}/${sessionOf(first).id}`);
    const retried = await call('POST', PATH, body);
    expect(retried.status).toBe(201);
    expect(sessionOf(retried).status).toBe('ready');
  });

  it('applies the outbound policy: non-http schemes and refused targets are 400; a redirect or subresource to metadata is blocked', async () => {
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ftp://127.0.0.1/',
      'data:text/html,hi',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/',
    ]) {
      const res = await call('POST', PATH, { tenantId: tenant, url });
      expect(res.status, url).toBe(400);
      expect(res.body.code).toBe('INVALID_INPUT');
    }
    expect(await liveSessionIds(h.c)).toEqual([]);

    // The start URL is fine, its redirect is not: the proxy refuses the hop, the session fails with the reason.
    const redirected = sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/to-metadata` }));
    expect(redirected).toMatchObject({ status: 'error', closeReason: 'load-failed' });
    expect(redirected.error).toMatch(/^Blocked by the outbound policy: .*169\.254\.169\.254.*link-local/);
    expect(h.c.browser.runtime.holds(redirected.id)).toBe(false);

    // A subresource pointing at metadata is refused; the page itself loads.
    const withImage = sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/with-metadata-image` }));
    expect(withImage).toMatchObject({ status: 'ready', title: 'Image' });
    expect(withImage.blockedRequests).toBeGreaterThanOrEqual(1);

    // navigate: the URL itself is checked (400); a redirect is reported on the session, which stays usable.
    const badScheme = await call('POST', `${PATH}/${withImage.id}/navigate`, { url: 'file:///etc/passwd' });
    expect(badScheme.status).toBe(400);
    const blocked = sessionOf(await call('POST', `${PATH}/${withImage.id}/navigate`, { url: `${pages.origin}/to-metadata` }));
    expect(blocked.status).toBe('ready');
    expect(blocked.error).toMatch(/^Blocked by the outbound policy/);
    const recovered = sessionOf(await call('POST', `${PATH}/${withImage.id}/navigate`, { url: `${pages.origin}/page?title=Back` }));
    expect(recovered).toMatchObject({ status: 'ready', title: 'Back', error: null });
  });

  it('REST edges: scopes, tenant-restricted tokens, validation, limits and unknown ids', async () => {
    const other = await insertTenant(h.c);
    const mine = sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page` }));
    const theirs = sessionOf(await call('POST', PATH, { tenantId: other, url: `${pages.origin}/page` }));

    const reader = browserRest(h.c, await token(h.c, ['browser:read']));
    expect((await reader('GET', PATH)).status).toBe(200);
    expect((await reader('GET', `${PATH}/${mine.id}/screenshot`)).status).toBe(200);
    for (const [method, path] of [
      ['POST', PATH],
      ['DELETE', `${PATH}/${mine.id}`],
      ['POST', `${PATH}/${mine.id}/navigate`],
    ] as const) {
      expect((await reader(method, path, { tenantId: tenant, url: `${pages.origin}/page` })).status, `${method} ${path}`).toBe(403);
    }

    const restricted = browserRest(h.c, await token(h.c, ['browser:read', 'browser:write'], tenant));
    const visible = (await restricted('GET', PATH)).body.sessions as SessionView[];
    expect(new Set(visible.map((s) => s.tenantId))).toEqual(new Set([tenant]));
    expect((await restricted('GET', `${PATH}/${theirs.id}`)).status).toBe(404);
    expect((await restricted('DELETE', `${PATH}/${theirs.id}`)).status).toBe(404);
    expect((await restricted('GET', `${PATH}?tenantId=${other}`)).status).toBe(404);
    expect((await restricted('POST', PATH, { tenantId: other, url: `${pages.origin}/page` })).body).toMatchObject({ code: 'NOT_FOUND' });
    expect(sessionOf(await call('GET', `${PATH}/${theirs.id}`)).status).toBe('ready');

    const missingTenant = await call('POST', PATH, { tenantId: 'no-such-tenant', url: `${pages.origin}/page` });
    expect(missingTenant.status).toBe(404);
    expect(missingTenant.body.error).toBe('Tenant not found: no-such-tenant');
    const invalid = await call('POST', PATH, { url: 42, idleTimeoutMs: 10 });
    expect(invalid.status).toBe(400);
    expect(String(invalid.body.error)).toMatch(/tenantId.*url.*idleTimeoutMs/s);
    const tooLong = await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page`, maxLifetimeMs: h.c.browser.settings.maxLifetime.maxMs + 1 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toContain('BROWSER_MAX_LIFETIME_MAX_MS');
    expect((await call('GET', `${PATH}?status=sleeping`)).status).toBe(400);
    expect((await call('GET', `${PATH}/not-a-uuid`)).status).toBe(400);
    expect((await call('GET', `${PATH}/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });

  it('tRPC offers the same operations; a viewer reads and looks but cannot create or close', async () => {
    await h.c.operators.create(testCaller('test'), { email: 'browser-admin@example.com', password: 'admin-password', role: 'admin' });
    await h.c.operators.create(testCaller('test'), { email: 'browser-viewer@example.com', password: 'viewer-password', role: 'viewer' });
    const admin = trpcClient(h.c).client;
    await admin.auth.login.mutate({ email: 'browser-admin@example.com', password: 'admin-password' });
    const viewer = trpcClient(h.c).client;
    await viewer.auth.login.mutate({ email: 'browser-viewer@example.com', password: 'viewer-password' });

    const { session } = await admin.browser.create.mutate({ tenantId: tenant, url: `${pages.origin}/page?title=Console` });
    expect(session).toMatchObject({ status: 'ready', title: 'Console' });
    expect((await viewer.browser.list.query({ tenantId: tenant, status: 'ready' })).sessions.map((s) => s.id)).toContain(session.id);
    expect((await viewer.browser.thumbnail.query({ id: session.id })).dataUrl).toMatch(/^data:image\/jpeg;base64,/);
    const shot = await viewer.browser.screenshot.mutate({ id: session.id });
    expect(shot.dataUrl).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect((await viewer.browser.tenants.query()).map((t) => t.id)).toContain(tenant);

    const refused = await viewer.browser.close.mutate({ id: session.id }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<AppRouter>).data?.code).toBe('FORBIDDEN');
    const badUrl = await admin.browser.navigate.mutate({ id: session.id, url: 'file:///etc/passwd' }).catch((e: unknown) => e);
    expect((badUrl as TRPCClientError<AppRouter>).data?.code).toBe('BAD_REQUEST');

    expect((await admin.browser.close.mutate({ id: session.id })).session).toMatchObject({ status: 'closed', closeReason: 'requested' });
  });
});

describe('browser runtime failures and restarts (SQLite)', () => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    // Newest first: a restarted harness shares the data of the one before it.
    for (const h of harnesses.splice(0).reverse()) await h.close();
  });

  it('a crashed browser: browserConnected false and the reaper degraded, sessions recorded, relaunched on the next need', async () => {
    const h = await openHarness();
    harnesses.push(h);
    const tenant = await insertTenant(h.c);
    const call = browserRest(h.c, await token(h.c));
    // Before any session nothing is launched, and that is not a failure.
    expect(h.c.browser.port.status()).toMatchObject({ browserConnected: false, failure: null });
    expect(h.c.browser.runtime.browserPid()).toBeNull();

    const before = sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page` }));
    const pid = h.c.browser.runtime.browserPid();
    expect(pid).not.toBeNull();
    expect((await reaperView(h.c)).metrics.browserConnected).toBe(true);

    process.kill(pid ?? 0, 'SIGKILL');
    await expect.poll(() => h.c.browser.port.status().browserConnected, POLL).toBe(false);
    expect(h.c.browser.port.status().failure).toContain('exited unexpectedly');
    await expect.poll(async () => (await reaperView(h.c)).state, POLL).toBe('degraded');
    const view = await reaperView(h.c);
    expect(view.metrics).toMatchObject({ browserConnected: false, liveSessions: 0 });
    expect(view.lastError).toContain('exited unexpectedly');
    await expect.poll(async () => sessionOf(await call('GET', `${PATH}/${before.id}`)).status, POLL).toBe('error');
    expect(sessionOf(await call('GET', `${PATH}/${before.id}`))).toMatchObject({ closeReason: 'browser-crashed' });
    await expect.poll(() => h.c.browser.port.pendingCleanups(), POLL).toBe(0);

    const after = sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page?title=Again` }));
    expect(after).toMatchObject({ status: 'ready', title: 'Again' });
    expect(h.c.browser.runtime.browserPid()).not.toBe(pid);
    expect(h.c.browser.port.status()).toMatchObject({ browserConnected: true, failure: null, liveSessions: 1 });
    await expect.poll(async () => (await reaperView(h.c)).state, POLL).not.toBe('degraded');
  });

  it('a browser that cannot be launched: the session fails with the reason and the reaper is degraded', async () => {
    const h = await openHarness({ CHROMIUM_PATH: '/nonexistent/chromium' });
    harnesses.push(h);
    const tenant = await insertTenant(h.c);
    const session = sessionOf(await browserRest(h.c, await token(h.c))('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page` }));
    expect(session).toMatchObject({ status: 'error', closeReason: 'load-failed' });
    expect(session.error).toContain('The browser could not be launched');
    expect(h.c.browser.port.status()).toMatchObject({ browserConnected: false, liveSessions: 0 });
    expect(h.c.browser.port.status().failure).toContain('CHROMIUM_PATH=/nonexistent/chromium');
    await expect.poll(async () => (await reaperView(h.c)).state, POLL).toBe('degraded');
  });

  it('a console restart with sessions open: the boot reconciliation marks them orphaned, a second run changes nothing', async () => {
    const instanceId = uniqueId('restart');
    const first = await openHarness({ INSTANCE_ID: instanceId });
    harnesses.push(first);
    const tenant = await insertTenant(first.c);
    const call = browserRest(first.c, await token(first.c));
    const open = [
      sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page?title=one` })),
      sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page?title=two` })),
    ];
    const closedBefore = sessionOf(
      await call('DELETE', `${PATH}/${sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page` })).id}`),
    );
    // The process "dies": the database keeps saying ready; its browser goes away without recording anything.
    await first.abandon();
    await first.c.browser.runtime.shutdown();

    const second = await openHarness({ INSTANCE_ID: instanceId }, first.env);
    harnesses.push(second);
    await second.c.executor.execute(browserSessionReconciliation, { trigger: 'boot', actor: 'system:boot', slot: null });
    const reconciliation = await second.c.automations.get(testToken(), 'browser-session-reconciliation');
    expect(reconciliation.lastRun).toMatchObject({ trigger: 'boot', outcome: 'succeeded', instanceId });
    expect(reconciliation.metrics).toMatchObject({ sessionsReconciled: 2, tenantsScanned: 1, pendingAsyncTasks: 0 });

    const read = browserRest(second.c, await token(second.c));
    const after = await Promise.all(open.map(async (s) => sessionOf(await read('GET', `${PATH}/${s.id}`))));
    for (const s of after) expect(s).toMatchObject({ status: 'orphaned', closeReason: 'runtime-lost' });
    expect(sessionOf(await read('GET', `${PATH}/${closedBefore.id}`))).toEqual(closedBefore);

    const again = await second.c.automations.run(testToken(), 'browser-session-reconciliation');
    expect(again.outcome === 'finished' && again.run.metrics).toMatchObject({ sessionsReconciled: 0 });
    expect(again.automation.metrics.sessionsReconciled).toBe(0);
    expect(await Promise.all(open.map(async (s) => sessionOf(await read('GET', `${PATH}/${s.id}`))))).toEqual(after);
  });

  it('shutdown drains: shuttingDown while it closes, new sessions refused, rows closed, browser process gone', async () => {
    const h = await openHarness();
    harnesses.push(h);
    const tenant = await insertTenant(h.c);
    const call = browserRest(h.c, await token(h.c));
    const session = sessionOf(await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page` }));
    const pid = h.c.browser.runtime.browserPid() ?? 0;

    const stopping = h.c.browser.lifecycle.stop?.();
    expect(h.c.browser.port.status().shuttingDown).toBe(true);
    expect((await reaperView(h.c)).metrics.shuttingDown).toBe(true);
    const refused = await call('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page` });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('SHUTTING_DOWN');
    await stopping;

    expect(sessionOf(await call('GET', `${PATH}/${session.id}`))).toMatchObject({ status: 'closed', closeReason: 'shutdown' });
    expect(h.c.browser.port.status()).toMatchObject({ browserConnected: false, liveSessions: 0, shuttingDown: true, failure: null });
    expect(h.c.browser.port.pendingCleanups()).toBe(0);
    await expect.poll(() => processAlive(pid), POLL).toBe(false);
  });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!(postgresAvailable && redisAvailable))('two instances on PostgreSQL + Redis', () => {
  it("reconciliation and the reaper never touch another live instance's sessions; owners that lapsed are reconciled", async () => {
    const a = await testContainer('postgres-redis');
    const b = await testContainer('postgres-redis', {}, a.env);
    try {
      const tenant = await insertTenant(a.c);
      const onA = sessionOf(await browserRest(a.c, await token(a.c))('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page?title=A` }));
      const callB = browserRest(b.c, await token(b.c));
      const onB = sessionOf(await callB('POST', PATH, { tenantId: tenant, url: `${pages.origin}/page?title=B` }));
      // A's session that only the database knows about, long past every deadline: still A's to deal with.
      const stale = { id: await insertSessionRow(a.c, { tenantId: tenant, owner: a.c.config.instanceId, status: 'ready', createdAt: Date.now() - 60_000 }) };
      const ghost = {
        id: await insertSessionRow(a.c, { tenantId: tenant, owner: uniqueId('gone-instance'), status: 'ready', createdAt: Date.now() - 60_000 }),
      };

      await b.c.executor.execute(browserSessionReaper, { trigger: 'api', actor: 'token:test', slot: null });
      const result = await b.c.automations.run(testToken(), 'browser-session-reconciliation');
      expect(result.outcome === 'finished' && result.run.metrics).toMatchObject({ sessionsReconciled: 1, tenantsScanned: 1 });

      const status = async (id: string) => sessionOf(await callB('GET', `${PATH}/${id}`));
      expect(await status(onA.id)).toMatchObject({ status: 'ready', ownerInstanceId: a.c.config.instanceId });
      expect(await status(stale.id)).toMatchObject({ status: 'ready' });
      expect(await status(onB.id)).toMatchObject({ status: 'ready' });
      expect(await status(ghost.id)).toMatchObject({ status: 'orphaned', closeReason: 'owner-lapsed' });
      expect(a.c.browser.runtime.holds(onA.id)).toBe(true);

      // Actions need the owner's runtime. While A answers no forwarded calls (its lifecycle is not started), B
      // answers 409 naming A once A stayed silent, and A's page is untouched.
      const elsewhere = await callB('POST', `${PATH}/${onA.id}/navigate`, { url: `${pages.origin}/page?title=silent` });
      expect(elsewhere.status).toBe(409);
      expect(elsewhere.body.error).toContain(a.c.config.instanceId);
      expect((await status(onA.id)).title).toBe('A');
      // Once A answers, B forwards to A: navigate, screenshot and close through B act on A's page.
      await a.c.browser.lifecycle.start?.();
      const moved = await callB('POST', `${PATH}/${onA.id}/navigate`, { url: `${pages.origin}/page?title=via-B` });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      expect(sessionOf(moved)).toMatchObject({ title: 'via-B', ownerInstanceId: a.c.config.instanceId });
      const shot = await callB('GET', `${PATH}/${onA.id}/screenshot`);
      expect(shot.status).toBe(200);
      expect(shot.bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      const ghostAction = await callB('POST', `${PATH}/${ghost.id}/navigate`, { url: `${pages.origin}/page` });
      expect(ghostAction.status).toBe(409);

      // The reaper's view sums every live instance's runtime (A reports through its heartbeat).
      await a.c.instances.heartbeat({ browser: { ...a.c.browser.port.status(), healthy: true } });
      await b.c.bus.publish({ type: 'instances' });
      await expect.poll(async () => (await reaperView(b.c)).metrics.liveSessions, POLL).toBe(2);

      // A's own reaper closes its stale row; nothing else changes.
      expect(await a.c.browser.port.reap(runContext(a.c))).toEqual({ closed: 1 });
      expect(await status(stale.id)).toMatchObject({ status: 'expired', closeReason: 'max-lifetime' });
      expect(await status(onA.id)).toMatchObject({ status: 'ready' });
      const closed = await callB('DELETE', `${PATH}/${onA.id}`);
      expect(sessionOf(closed)).toMatchObject({ status: 'closed', closeReason: 'requested' });
      expect(a.c.browser.runtime.holds(onA.id)).toBe(false);
    } finally {
      await a.c.browser.upkeep.shutdown();
      await b.c.browser.upkeep.shutdown();
      await b.close();
      await a.close();
    }
  });
});
