import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../errors';
import { type TestContainer, testContainer } from '../testing/container';
import { testPolicy } from '../testing/outbound';
import { uniqueId } from '../testing/services';
import { chromiumArgs } from './playwright-runtime';
import { startPolicyProxy } from './policy-proxy';
import { testCaller } from '../testing/callers';

/** What browser sessions may reach and what a page can learn: real Chromium, real proxy, pages on 127.0.0.1. */

async function listen(server: http.Server | net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('browser sessions and outbound reach', () => {
  let pages: http.Server;
  let pagePort = 0;
  let internal: http.Server;
  let internalPort = 0;
  let t: TestContainer;
  let tenantId = '';

  beforeAll(async () => {
    pages = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://pages.test');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      if (url.pathname === '/webrtc') {
        // The title reports what the page could find of WebRTC, in the page and in a fresh iframe.
        return res.end(`<!doctype html><title>pending</title><script>
          const f = document.createElement('iframe'); document.documentElement.appendChild(f);
          const w = f.contentWindow;
          document.title = [typeof RTCPeerConnection, typeof webkitRTCPeerConnection, typeof RTCDataChannel, typeof w.RTCPeerConnection, typeof w.webkitRTCPeerConnection].join(',');
        </script>`);
      }
      if (url.pathname === '/peek') return res.end(`<!doctype html><title>peek</title><img src="http://127.0.0.1:${internalPort}/secret.png">`);
      return res.end(`<!doctype html><title>${url.searchParams.get('title') ?? 'Page'}</title>`);
    });
    pagePort = await listen(pages);
    internal = http.createServer((_req, res) => res.writeHead(500, { 'content-type': 'text/html' }).end('<title>SECRET-INTERNAL-TEXT</title>'));
    internalPort = await listen(internal);
    // The platform may open both servers; tenants the page server only (the tenant list).
    t = await testContainer('sqlite-local', {
      OUTBOUND_ALLOW_BROWSER: `127.0.0.1:${pagePort},127.0.0.1:${internalPort}`,
      OUTBOUND_TENANT_ALLOW_BROWSER: `127.0.0.1:${pagePort}`,
    });
    tenantId = uniqueId('tenant');
    await t.c.database.db
      .insertInto('tenants')
      .values({ id: tenantId, name: 'T', slug: tenantId.replaceAll('_', '-'), created_at: Date.now() })
      .execute();
  });
  afterAll(async () => {
    await t.c.browser.upkeep.shutdown();
    await t.close();
    pages.closeAllConnections();
    internal.closeAllConnections();
    await new Promise((resolve) => pages.close(resolve));
    await new Promise((resolve) => internal.close(resolve));
  });

  it('pages find no WebRTC (RTCPeerConnection, webkitRTCPeerConnection, RTCDataChannel), in frames neither', async () => {
    const session = await t.c.browser.sessions.create(testCaller('test'), { tenantId, url: `http://127.0.0.1:${pagePort}/webrtc` });
    expect(session).toMatchObject({ status: 'ready', title: 'undefined,undefined,undefined,undefined,undefined' });
    await t.c.browser.sessions.close(testCaller('test'), session.id);
  });

  it('a tenant session reaches only its list; a subresource to another loopback port is blocked', async () => {
    const tenant = testCaller('token:tenant', { restrictedTo: tenantId });
    let refused: unknown;
    try {
      await t.c.browser.sessions.create(tenant, { tenantId, url: `http://127.0.0.1:${internalPort}/` });
    } catch (error) {
      refused = error;
    }
    expect(isAppError(refused) && refused.message).toContain(
      'a loopback address; to allow it for browser sessions set OUTBOUND_ALLOW_BROWSER (for tenants: OUTBOUND_TENANT_ALLOW_BROWSER)',
    );
    const session = await t.c.browser.sessions.create(tenant, { tenantId, url: `http://127.0.0.1:${pagePort}/peek` });
    expect(session).toMatchObject({ status: 'ready', title: 'peek' });
    expect(session.blockedRequests).toBeGreaterThanOrEqual(1);
    const row = await t.c.database.db.selectFrom('browser_sessions').select('reach').where('id', '=', session.id).executeTakeFirstOrThrow();
    expect(row.reach).toBe('tenant');
    await t.c.browser.sessions.close(tenant, session.id);
  });

  it("a tenant's navigation narrows a platform session for good", async () => {
    const platform = testCaller('operator:admin');
    const session = await t.c.browser.sessions.create(platform, { tenantId, url: `http://127.0.0.1:${pagePort}/page?title=Start` });
    expect(session.status).toBe('ready');
    // the platform's reach: the internal server's (error) page loads
    expect((await t.c.browser.sessions.navigate(platform, session.id, `http://127.0.0.1:${internalPort}/`)).title).toBe('SECRET-INTERNAL-TEXT');
    await t.c.browser.sessions.navigate(testCaller('token:tenant', { restrictedTo: tenantId }), session.id, `http://127.0.0.1:${pagePort}/page?title=Tenant`);
    const row = await t.c.database.db.selectFrom('browser_sessions').select('reach').where('id', '=', session.id).executeTakeFirstOrThrow();
    expect(row.reach).toBe('tenant');
    // The platform navigating it later does not widen it back.
    await expect(t.c.browser.sessions.navigate(platform, session.id, `http://127.0.0.1:${internalPort}/`)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await t.c.browser.sessions.close(platform, session.id);
  });
});

describe('the policy proxy says only "blocked" or "unreachable"', () => {
  const scope = testPolicy('127.0.0.1').scope('browser', 'platform');

  /** A proxied plain-http request (absolute URL in the request line), as Chromium sends it. */
  function viaProxy(proxyUrl: string, target: string): Promise<{ status: number; body: string }> {
    const proxy = new URL(proxyUrl);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: proxy.hostname, port: proxy.port, path: target, method: 'GET', headers: { host: new URL(target).host } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  function tunnel(proxyUrl: string, authority: string): Promise<string> {
    const proxy = new URL(proxyUrl);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(proxy.port), proxy.hostname, () => socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString();
        if (answer.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(answer.split('\r\n')[0] ?? '');
        }
      });
      socket.on('error', reject);
    });
  }

  it('same answer for a closed port and an open one that fails; a refused target is "blocked"', async () => {
    const sockets = new Set<net.Socket>();
    const garbage = net.createServer((socket) => {
      sockets.add(socket);
      socket.end('SECRET-INTERNAL-TEXT not http\r\n\r\n');
    });
    const garbagePort = await listen(garbage);
    const closed = net.createServer();
    const closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const blocks: string[] = [];
    const proxy = await startPolicyProxy(
      () => scope,
      (block) => blocks.push(block.reason),
    );
    try {
      const toClosed = await viaProxy(proxy.url, `http://127.0.0.1:${closedPort}/`);
      const toGarbage = await viaProxy(proxy.url, `http://127.0.0.1:${garbagePort}/`);
      expect(toClosed).toEqual({ status: 502, body: 'unreachable\n' });
      expect(toGarbage).toEqual(toClosed);
      expect(await viaProxy(proxy.url, 'http://169.254.169.254/latest/meta-data/')).toEqual({ status: 403, body: 'blocked\n' });
      expect(await tunnel(proxy.url, `127.0.0.1:${closedPort}`)).toBe('HTTP/1.1 502 Bad Gateway');
      expect(await tunnel(proxy.url, '169.254.169.254:443')).toBe('HTTP/1.1 403 Forbidden');
      expect(blocks.join(' ')).not.toContain('SECRET');
    } finally {
      await proxy.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => garbage.close(resolve));
    }
  });
});

describe('Chromium flags', () => {
  it('keep WebRTC off non-proxied UDP always, and the sandbox on unless running as root', () => {
    for (const root of [true, false]) {
      expect(chromiumArgs(root)).toEqual(
        expect.arrayContaining(['--force-webrtc-ip-handling-policy=disable_non_proxied_udp', '--webrtc-ip-handling-policy=disable_non_proxied_udp']),
      );
    }
    expect(chromiumArgs(true)).toContain('--no-sandbox');
    expect(chromiumArgs(false)).not.toContain('--no-sandbox');
  });
});
