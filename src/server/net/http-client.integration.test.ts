import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { outboundRequest } from './http-client';
import { loopbackScope, testPolicy } from '../testing/outbound';

const policy = loopbackScope();
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Starts a server on a free loopback port; closed after the test, open sockets included. */
async function listen(server: http.Server | net.Server): Promise<string> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address() as net.AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

function httpServer(handler: http.RequestListener): Promise<string> {
  return listen(http.createServer(handler));
}

/** A raw TCP server, for peers that do not speak HTTP properly. */
function rawServer(onConnection: (socket: net.Socket) => void): Promise<string> {
  return listen(net.createServer(onConnection));
}

const limits = { deadlineMs: 1_000, maxBytes: 1_024 };

describe('outboundRequest against real servers on loopback', () => {
  it('returns status, headers and body, and sends the method, headers and body it was given', async () => {
    let seen: { method?: string; auth?: string; body: string } = { body: '' };
    const base = await httpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { method: req.method, auth: req.headers.authorization, body };
        res.writeHead(201, { 'content-type': 'text/plain', 'x-extra': 'yes' });
        res.end('created');
      });
    });
    const result = await outboundRequest(policy, `${base}/things`, {
      ...limits,
      method: 'POST',
      headers: { authorization: 'Bearer abc' },
      body: '{"a":1}',
    });
    expect(result).toMatchObject({ ok: true, status: 201 });
    if (!result.ok) throw new Error(result.error);
    expect(result.body.toString()).toBe('created');
    expect(result.headers['x-extra']).toBe('yes');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual({ method: 'POST', auth: 'Bearer abc', body: '{"a":1}' });
  });

  it('does not follow redirects: the target is never contacted', async () => {
    let targetHits = 0;
    const target = await httpServer((_req, res) => {
      targetHits++;
      res.end('secret');
    });
    const redirecting = await httpServer((_req, res) => {
      res.writeHead(302, { location: `${target}/elsewhere` });
      res.end();
    });
    const result = await outboundRequest(policy, `${redirecting}/metrics`, limits);
    expect(result).toMatchObject({ ok: false, code: 'redirect' });
    if (result.ok) throw new Error('expected a failure');
    expect(result.error).toBe('redirect not followed (HTTP 302)');
    // where it pointed is the upstream's word, and stays out
    expect(result.error).not.toContain(target);
    expect(targetHits).toBe(0);
  });

  it('cuts a streamed body at the size cap', async () => {
    const base = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // chunked: no declared length
      for (let i = 0; i < 10; i++) res.write('x'.repeat(512));
      res.end();
    });
    const result = await outboundRequest(policy, base, limits);
    expect(result).toMatchObject({ ok: false, code: 'too-large', error: 'response too large (over 1024 bytes)' });
  });

  it('refuses a declared length over the cap before reading it', async () => {
    const base = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('x'); // and then nothing: only the header can have ended this request
    });
    const result = await outboundRequest(policy, base, limits);
    expect(result).toMatchObject({ ok: false, code: 'too-large' });
    if (result.ok) throw new Error('expected a failure');
    expect(result.error).toBe('response too large (over 1024 bytes)');
  });

  it('accepts a body exactly at the cap', async () => {
    const base = await httpServer((_req, res) => res.end('y'.repeat(1_024)));
    const result = await outboundRequest(policy, base, limits);
    expect(result).toMatchObject({ ok: true, status: 200 });
  });

  it('applies the deadline to the whole body: a slow-drip server is cut', async () => {
    const base = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Headers arrive at once and a byte keeps trickling in, so only a whole-exchange deadline can end it.
      const drip = setInterval(() => res.write('.'), 20);
      res.on('close', () => clearInterval(drip));
    });
    const result = await outboundRequest(policy, base, { deadlineMs: 300, maxBytes: 1_000_000 });
    expect(result).toMatchObject({ ok: false, code: 'deadline', error: 'timed out (300 ms)' });
  });

  it('cuts a server that accepts the connection and never answers', async () => {
    const base = await rawServer(() => undefined);
    const result = await outboundRequest(policy, base, { deadlineMs: 200, maxBytes: 1_000 });
    expect(result).toMatchObject({ ok: false, code: 'deadline' });
  });

  it('reports a refused connection as a network failure', async () => {
    const base = await rawServer(() => undefined);
    const port = new URL(base).port;
    await closers.pop()?.(); // nothing listens on the port any more
    const result = await outboundRequest(policy, `http://127.0.0.1:${port}/`, limits);
    expect(result).toMatchObject({ ok: false, code: 'network' });
    if (result.ok) throw new Error('expected a failure');
    expect(result.error).toBe('connection refused');
  });

  it('reports a peer that does not speak HTTP as a network failure', async () => {
    const base = await rawServer((socket) => socket.end('this is not HTTP at all\r\n\r\n'));
    const result = await outboundRequest(policy, base, limits);
    expect(result).toMatchObject({ ok: false, code: 'network', error: 'invalid HTTP response' });
  });

  it('reports a connection closed mid-body at once, not at the deadline', async () => {
    const base = await rawServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part of it');
        setTimeout(() => socket.destroy(), 20);
      });
    });
    const result = await outboundRequest(policy, base, { deadlineMs: 60_000, maxBytes: 1_000 });
    expect(result).toMatchObject({ ok: false, code: 'network' });
  });

  it('stops when its signal aborts', async () => {
    const base = await rawServer(() => undefined);
    const controller = new AbortController();
    const pending = outboundRequest(policy, base, { deadlineMs: 60_000, maxBytes: 1_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toMatchObject({ ok: false, code: 'aborted' });
    const already = await outboundRequest(policy, base, { ...limits, signal: controller.signal });
    expect(already).toMatchObject({ ok: false, code: 'aborted' });
  });

  it('turns a header that HTTP cannot carry into a failure value instead of throwing', async () => {
    const base = await httpServer((_req, res) => res.end('ok'));
    const result = await outboundRequest(policy, base, { ...limits, headers: { authorization: 'Bearer a\r\nx-injected: 1' } });
    expect(result).toMatchObject({ ok: false, code: 'network' });
  });

  it('refuses forbidden addresses without connecting, and checks the address a name resolves to', async () => {
    expect(await outboundRequest(policy, 'http://169.254.169.254/latest/meta-data/', limits)).toMatchObject({ ok: false, code: 'refused' });
    expect(await outboundRequest(policy, 'ftp://127.0.0.1/', limits)).toMatchObject({ ok: false, code: 'refused' });

    let hits = 0;
    const base = await httpServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    const port = new URL(base).port;
    const strict = testPolicy('').scope('poll', 'platform');
    // "localhost" passes the URL check (it is a name); the connect-time lookup sees 127.0.0.1 / ::1 and refuses.
    const result = await outboundRequest(strict, `http://localhost:${port}/`, limits);
    expect(result).toMatchObject({ ok: false, code: 'refused' });
    if (result.ok) throw new Error('expected a failure');
    expect(result.error).toBe('refused by outbound policy');
    expect(hits).toBe(0);
    // The same address with loopback listed connects.
    expect(await outboundRequest(policy, `http://127.0.0.1:${port}/`, limits)).toMatchObject({ ok: true });
    expect(hits).toBe(1);
  });
});

describe('outboundRequest keeps connections per use and reach', () => {
  it("a connection the platform opened never carries a tenant's request", async () => {
    let hits = 0;
    const base = await httpServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    const port = new URL(base).port;
    // The platform may reach the name "localhost" (a host-name entry); tenants may not.
    const policy = testPolicy('localhost');
    const platform = await outboundRequest(policy.scope('poll', 'platform'), `http://localhost:${port}/a`, limits);
    expect(platform).toMatchObject({ ok: true, status: 200 });
    // Same host and port, while the platform's kept-alive connection is idle: the tenant's scope opens its own,
    // whose lookup refuses.
    const tenant = await outboundRequest(policy.scope('poll', 'tenant'), `http://localhost:${port}/b`, limits);
    expect(tenant).toMatchObject({ ok: false, code: 'refused', error: 'refused by outbound policy' });
    expect(hits).toBe(1);
  });
});

describe('outboundRequest keeps connections alive', () => {
  /**
   * A peer that answers the first request of each connection (keep-alive) and closes the connection without an
   * answer when a second request arrives on it: the race of a server closing an idle connection just as it is reused.
   */
  async function closesReusedConnections(): Promise<{ base: string; connections: () => number; requests: () => number }> {
    let connections = 0;
    let requests = 0;
    const base = await rawServer((socket) => {
      connections++;
      let answered = false;
      socket.on('data', (chunk: Buffer) => {
        if (!chunk.toString().includes('\r\n\r\n')) return;
        requests++;
        if (answered) {
          socket.destroy();
          return;
        }
        answered = true;
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
      });
    });
    return { base, connections: () => connections, requests: () => requests };
  }

  it('reuses one connection for requests one after another', async () => {
    const ports = new Set<number>();
    const base = await httpServer((req, res) => {
      ports.add(req.socket.remotePort ?? 0);
      res.end('ok');
    });
    for (let i = 0; i < 3; i++) expect(await outboundRequest(policy, `${base}/${i}`, limits)).toMatchObject({ ok: true, status: 200 });
    expect(ports.size).toBe(1);
  });

  it('sends a GET again on a new connection when a reused one is closed under it; a POST is not sent twice', async () => {
    const peer = await closesReusedConnections();
    expect(await outboundRequest(policy, `${peer.base}/a`, limits)).toMatchObject({ ok: true });
    expect(await outboundRequest(policy, `${peer.base}/b`, limits)).toMatchObject({ ok: true, body: Buffer.from('ok') });
    expect([peer.connections(), peer.requests()]).toEqual([2, 3]);

    const post = await closesReusedConnections();
    expect(await outboundRequest(policy, `${post.base}/a`, { ...limits, method: 'POST', body: '{}' })).toMatchObject({ ok: true });
    expect(await outboundRequest(policy, `${post.base}/b`, { ...limits, method: 'POST', body: '{}' })).toMatchObject({ ok: false, code: 'network' });
    expect([post.connections(), post.requests()]).toEqual([1, 2]);
  });
});
