import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer } from '../src/server/container';
import { CLIENT_API_ROUTES, openApiResponse } from '../src/server/http/client-api-docs';
import { type ConsoleProcess, ensureBuild, startConsole } from '../src/server/testing/console-process';
import { answerOf, contractChecker } from '../src/server/testing/openapi-contract';
import { tempDir, uniqueId } from '../src/server/testing/services';
import { report } from './cluster';
import { testCaller } from '../src/server/testing/callers';

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with any method and target, as curl would send it (fetch refuses TRACE and CONNECT). */
function raw(base: string, method: string, target: string, headers: Record<string, string> = {}): Promise<Raw> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: target, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Bytes written on a plain socket, and what came back until the server closed it. */
function rawSocket(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

const API = '/api/client/v1';
const ORIGIN = 'https://tools.example.com';
/** Every documented path with its parameters filled in, and the methods each has. */
const PATHS = [...new Set(CLIENT_API_ROUTES.map((r) => r.path))].map((p) => ({
  target: `${API}${p.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000')}`,
  methods: CLIENT_API_ROUTES.filter((r) => r.path === p).map((r) => r.method as string),
}));

describe('HTTP edges of a real console, as curl meets them (issue 15 §2)', () => {
  let console_: ConsoleProcess;
  let cleanup: () => void;
  let token: string;
  let contract: ReturnType<typeof contractChecker>;
  beforeAll(async () => {
    ensureBuild();
    const temp = tempDir(uniqueId('edge'));
    cleanup = temp.cleanup;
    const env = { DATA_DIR: temp.dir, DATABASE_URL: '', REDIS_URL: '' };
    const c = await createContainer({ ...env, LOG_LEVEL: 'silent' });
    token = (await c.tokens.create(testCaller('test'), { name: 'edges', scopes: ['automations:read', 'inference:write', 'inference:read', 'metrics:read'] }))
      .token;
    await c.close();
    console_ = await startConsole({ ...env, CONSOLE_ADMIN_PASSWORD: 'edges-password', CORS_ALLOWED_ORIGINS: ORIGIN });
  });
  afterAll(async () => {
    await console_?.stop('SIGKILL');
    cleanup?.();
  });

  it('TRACE, PROPFIND and PATCH on every route, /metrics and /api/health: the JSON 405 with Allow, and no stack trace logged', async () => {
    const served = await answerOf(await fetch(`${console_.url}${API}/openapi.json`));
    // What the server serves is the document the contract test validates against.
    expect(served.body).toEqual(await (await openApiResponse()).json());
    contract = contractChecker(served.body);
    const before = console_.output().length;
    let checked = 0;
    const targets = [
      ...PATHS,
      { target: '/metrics', methods: ['GET'] },
      { target: '/api/health', methods: ['GET'] },
      { target: '/api/trpc/auth.me', methods: ['GET', 'POST'] },
    ];
    for (const { target, methods } of targets) {
      for (const method of ['TRACE', 'PROPFIND', 'PATCH', 'MKCOL', 'PUT']) {
        if (methods.includes(method)) continue;
        const res = await raw(console_.url, method, target, { authorization: `Bearer ${token}` });
        expect(res.status, `${method} ${target}: ${res.body}`).toBe(405);
        expect(res.headers.allow, `${method} ${target}`).toBe(methods.join(', '));
        expect(JSON.parse(res.body), `${method} ${target}`).toEqual({
          error: `Method ${method} is not allowed here; use ${methods.join(', ')}`,
          code: 'METHOD_NOT_ALLOWED',
        });
        if (target.startsWith(API))
          contract.checkComponent('MethodNotAllowed', {
            status: res.status,
            headers: new Headers(res.headers as Record<string, string>),
            text: res.body,
            body: JSON.parse(res.body) as Record<string, unknown>,
          });
        checked++;
      }
    }
    for (const target of ['/metrics', '/api/health']) {
      const post = await fetch(`${console_.url}${target}`, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET');
      expect(await post.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
      // OPTIONS names what the route serves, not the refusals it exports.
      const options = await fetch(`${console_.url}${target}`, { method: 'OPTIONS' });
      expect(options.status).toBe(204);
      expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    }
    const unknown = await raw(console_.url, 'TRACE', `${API}/nothing/here`);
    expect(unknown.status).toBe(404);
    contract.checkComponent('NoSuchEndpoint', {
      status: unknown.status,
      headers: new Headers(unknown.headers as Record<string, string>),
      text: unknown.body,
      body: JSON.parse(unknown.body) as Record<string, unknown>,
    });
    const log = console_.output().slice(before);
    expect(log).not.toMatch(/\n\s+at /);
    expect(log).not.toMatch(/unexpected error|TypeError|request failed/i);
    report('unknown methods', `${checked} requests over ${targets.length} routes: 405 JSON with Allow; nothing logged`);
  });

  it('long targets are 414 as documented, long headers 431; a trailing slash is a 308 to the path without it', async () => {
    for (const length of [9_000, 20_000, 100_000]) {
      const res = await raw(console_.url, 'GET', `${API}/automations?pad=${'a'.repeat(length)}`, { authorization: `Bearer ${token}` });
      expect(res.status, `${length}`).toBe(414);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'URI_TOO_LONG' });
      contract.check('GET', '/automations', {
        status: res.status,
        headers: new Headers(res.headers as Record<string, string>),
        text: res.body,
        body: JSON.parse(res.body) as Record<string, unknown>,
      });
    }
    // A method Node's parser does not know at all: still the JSON 405, written by the server itself.
    const foreign = await rawSocket(console_.port, `BREW ${API}/automations HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(foreign).toMatch(/^HTTP\/1\.1 405 /);
    expect(foreign).toMatch(/\r\nallow: GET\r\n/i);
    expect(foreign).toContain('"code":"METHOD_NOT_ALLOWED"');
    const header = await raw(console_.url, 'GET', `${API}/automations`, { 'x-pad': 'h'.repeat(20_000) });
    expect(header.status).toBe(431);
    const slash = await raw(console_.url, 'GET', `${API}/automations/`);
    expect(slash.status).toBe(308);
    expect(slash.headers.location).toBe(`${API}/automations`);
  });

  it('201 carries Location; the polled reads carry ETag and answer If-None-Match with 304', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const created = await fetch(`${console_.url}${API}/tenants`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Edge', slug: 'edge' }),
    });
    expect(created.status).toBe(201);
    const { tenant } = (await created.json()) as { tenant: { id: string } };
    expect(created.headers.get('location')).toBe(`${API}/tenants/${tenant.id}`);
    contract.check('POST', '/tenants', { status: 201, headers: created.headers, text: JSON.stringify({ tenant }), body: { tenant } });
    expect((await fetch(`${console_.url}${created.headers.get('location')}`, { headers: auth })).status).toBe(200);
    for (const path of ['/automations', '/automations/alert-evaluation', '/automations/alert-evaluation/runs']) {
      const first = await fetch(`${console_.url}${API}${path}`, { headers: auth });
      const etag = first.headers.get('etag');
      expect(etag, path).toMatch(/^"[\w-]+"$/);
      const again = await fetch(`${console_.url}${API}${path}`, { headers: { ...auth, 'if-none-match': etag ?? '' } });
      expect(again.status, path).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      const template = path.replace('alert-evaluation', '{key}');
      contract.check('GET', template, await answerOf(first));
      contract.check('GET', template, { status: 304, headers: again.headers, text: '', body: {} });
    }
  });

  it('CORS: named origins only, off for the others; the OpenAPI document readable from any origin', async () => {
    const preflight = (origin: string) =>
      raw(console_.url, 'OPTIONS', `${API}/automations`, { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' });
    const allowed = await preflight(ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(allowed.headers['access-control-allow-headers']).toContain('Authorization');
    expect(allowed.headers['access-control-allow-methods']).toBe('GET, HEAD');
    const refused = await preflight('https://evil.example.net');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    const read = await fetch(`${console_.url}${API}/automations`, { headers: { origin: ORIGIN, authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(read.headers.get('access-control-expose-headers')).toContain('ETag');
    expect(read.headers.get('vary')).toContain('Origin');
    const other = await fetch(`${console_.url}${API}/automations`, { headers: { origin: 'https://evil.example.net', authorization: `Bearer ${token}` } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const trpc = await fetch(`${console_.url}/api/trpc/auth.me`, { headers: { origin: ORIGIN } });
    expect(trpc.headers.get('access-control-allow-origin')).toBeNull();
    const doc = await fetch(`${console_.url}${API}/openapi.json`, { headers: { origin: 'https://any.example.org' } });
    expect(doc.headers.get('access-control-allow-origin')).toBe('*');
    const docPreflight = await raw(console_.url, 'OPTIONS', `${API}/openapi.json`, {
      origin: 'https://any.example.org',
      'access-control-request-method': 'GET',
    });
    expect(docPreflight.status).toBe(204);
    expect(docPreflight.headers['access-control-allow-origin']).toBe('*');
  });
});
