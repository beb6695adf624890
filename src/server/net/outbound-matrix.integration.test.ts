import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../testing/container';
import { isAppError } from '../errors';
import { type TestContainer, testContainer } from '../testing/container';
import { DEFAULT_OUTBOUND_ENV } from '../testing/outbound';
import { ALL_TENANTS } from '../tenants/tenant-access';
import { outboundRequest } from './http-client';
import { readerOf, testCaller, testToken } from '../testing/callers';

/**
 * The outbound policy as each consumer meets it — the inference poller, alert webhooks and browser sessions —
 * over one matrix of hostile targets: metadata and link-local addresses in every encoding, other never-reachable
 * ranges, non-http schemes, names that resolve to refused addresses, and redirects to them. All refused.
 */

// Refused by the URL check alone, before any connection.
const LITERALS = [
  'http://169.254.169.254/latest/meta-data/',
  'http://169.254.169.254:80/',
  'https://169.254.169.254/',
  'http://2852039166/',
  'http://0xa9fea9fe/',
  'http://0xa9.0xfe.0xa9.0xfe/',
  'http://0251.0376.0251.0376/',
  'http://169.254.43518/',
  'http://169.254.0.1:8080/x',
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[fe80::1]/',
  'http://[fd00:ec2::254]/',
  'http://100.100.100.200/',
  'http://168.63.129.16/',
  'http://0.0.0.0/',
  'http://0/',
  'http://[::]/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'file:///etc/passwd',
  'ftp://example.com/',
  'gopher://example.com/',
  'data:text/plain,hello',
  'javascript:alert(1)',
  'ws://example.com/',
  'chrome://settings',
  'http://user:pass@example.com/',
];

// Names that resolve to loopback, refused by a default install (no allow-lists).
const NAMES = ['http://localhost:9/', 'http://LOCALHOST:9/', 'http://localhost:9/team-a/vllm'];

// Where the redirect fixture sends its callers.
const REDIRECT_TARGETS = ['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:a9fe:a9fe]/', 'http://0xa9fea9fe/', 'file:///etc/passwd'];

async function tenantOf(c: Container, slug: string): Promise<string> {
  return (await c.tenants.service.create(testToken(), { name: slug, slug })).id;
}

async function refusedAtCreation(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (isAppError(error) && error.code === 'INVALID_INPUT') return error.message;
    throw error;
  }
  throw new Error('was accepted');
}

describe('outbound matrix across pollers, webhooks and browser sessions', () => {
  let open: TestContainer;
  let closed: TestContainer;
  let redirector: http.Server;
  let redirectBase = '';

  beforeAll(async () => {
    open = await testContainer('sqlite-local');
    closed = await testContainer('sqlite-local', DEFAULT_OUTBOUND_ENV);
    redirector = http.createServer((req, res) => {
      const target = REDIRECT_TARGETS[Number(/\/to\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0)] ?? REDIRECT_TARGETS[0];
      res.writeHead(302, { location: target }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const address = redirector.address();
    redirectBase = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : '';
  });
  afterAll(async () => {
    await open.c.browser.runtime.shutdown();
    await closed.c.browser.runtime.shutdown();
    await open.close();
    await closed.close();
    await new Promise((resolve) => redirector.close(resolve));
  });

  it(`refuses ${LITERALS.length} literal targets in every consumer before connecting`, async () => {
    const c = open.c;
    const tenantId = await tenantOf(c, 'matrix-literals');
    for (const [i, url] of LITERALS.entries()) {
      await expect(
        refusedAtCreation(() =>
          c.inference.servers.create(testCaller('test'), { tenantId, name: `s${i}`, kind: 'vllm', baseUrl: url, pollIntervalSeconds: 30, enabled: true }),
        ),
        `poller ${url}`,
      ).resolves.toBeTypeOf('string');
      await expect(
        refusedAtCreation(() =>
          c.alerts.service.createRule(testCaller('test'), {
            tenantId,
            name: `r${i}`,
            metric: 'up',
            aggregation: 'last',
            operator: '==',
            threshold: 0,
            windowMinutes: 5,
            serverId: null,
            severity: 'warning',
            noData: 'keep',
            cooldownMinutes: 60,
            enabled: true,
            channels: [{ type: 'webhook', url }],
          }),
        ),
        `webhook ${url}`,
      ).resolves.toBeTypeOf('string');
      await expect(
        refusedAtCreation(() => c.browser.sessions.create(testCaller('test'), { tenantId, url })),
        `browser ${url}`,
      ).resolves.toBeTypeOf('string');
      const direct = await outboundRequest(c.outbound.scope('poll', 'platform'), url, { deadlineMs: 2000, maxBytes: 1024 });
      expect(direct.ok ? direct.status : direct.code, `client ${url}`).toBe('refused');
    }
  });

  it('refuses names that resolve to refused addresses, on the address actually connected to', async () => {
    const c = closed.c;
    const tenantId = await tenantOf(c, 'matrix-names');
    for (const [i, url] of NAMES.entries()) {
      // Names are accepted at registration (DNS can change); the poll checks the address it connects to.
      await c.inference.servers.create(testCaller('test'), { tenantId, name: `name-${i}`, kind: 'vllm', baseUrl: url, pollIntervalSeconds: 30, enabled: true });
      const direct = await outboundRequest(c.outbound.scope('poll', 'platform'), url, { deadlineMs: 2000, maxBytes: 1024 });
      expect(direct.ok ? direct.status : direct.code, `client ${url}`).toBe('refused');
      const session = await c.browser.sessions
        .create(testCaller('test'), { tenantId, url })
        .catch((error: unknown) => (isAppError(error) ? { status: 'refused' } : Promise.reject(error)));
      expect(['error', 'refused'], `browser ${url}`).toContain(session.status);
    }
    await c.automations.run(testToken(), 'inference-monitoring-poll');
    const servers = await c.inference.servers.list(readerOf(ALL_TENANTS), { tenantId });
    expect(servers).toHaveLength(NAMES.length);
    for (const s of servers) {
      expect(s.status, s.baseUrl).toBe('down');
      expect(s.lastError ?? '', s.baseUrl).toMatch(/[Rr]efused/);
    }
  });

  it('never follows a redirect to a refused target', async () => {
    const c = open.c;
    const tenantId = await tenantOf(c, 'matrix-redirects');
    for (const [i, target] of REDIRECT_TARGETS.entries()) {
      const url = `${redirectBase}/to/${i}`;
      const direct = await outboundRequest(c.outbound.scope('poll', 'platform'), url, { deadlineMs: 2000, maxBytes: 1024 });
      expect(direct.ok ? direct.status : direct.code, `client → ${target}`).toBe('redirect');
      const session = await c.browser.sessions.create(testCaller('test'), { tenantId, url });
      expect(session.status, `browser → ${target}`).toBe('error');
      await c.inference.servers.create(testCaller('test'), {
        tenantId,
        name: `redirect-${i}`,
        kind: 'vllm',
        baseUrl: url,
        pollIntervalSeconds: 30,
        enabled: true,
      });
    }
    await c.automations.run(testToken(), 'inference-monitoring-poll');
    for (const s of await c.inference.servers.list(readerOf(ALL_TENANTS), { tenantId })) {
      expect(s.status).toBe('down');
      expect(s.lastError ?? '').toMatch(/[Rr]edirect/);
    }
  });
});
