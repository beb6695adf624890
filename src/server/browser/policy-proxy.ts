import 'server-only';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { OUTBOUND_FAILURES } from '../net/outbound-errors';
import { OUTBOUND_REFUSED_CODE, type OutboundScope } from '../net/outbound-policy';

/** A request the proxy refused, reported to the session that owns the proxy. */
export interface ProxyBlock {
  /** `host:port` of a tunnel, or the URL of a plain-http request. */
  target: string;
  reason: string;
  /** A CONNECT tunnel (https, wss): the browser sees ERR_TUNNEL_CONNECTION_FAILED rather than a response. */
  tunnel: boolean;
}

export interface PolicyProxy {
  /** `http://127.0.0.1:<port>`, for the context's `proxy.server`. */
  url: string;
  close(): Promise<void>;
}

/** Plain-http answers refused by the policy carry this header (URI-encoded reason), so navigations can say why. */
export const BLOCKED_HEADER = 'x-console-blocked';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const UPSTREAM_IDLE_MS = 60_000;

/**
 * What the page sees when the proxy answers itself: one word, the same whatever happened upstream, so a page cannot
 * tell a closed port from an open one that failed, nor read anything the policy kept it from.
 */
const BLOCKED_PAGE = 'blocked\n';
const UNREACHABLE_PAGE = 'unreachable\n';

/**
 * A forward proxy on 127.0.0.1 that one browser context sends all its traffic through, so the outbound policy
 * holds for every connection the page opens — including redirect hops, which Playwright's routing never shows
 * to a route handler, and names that resolve differently by the time Chromium connects. Each connection is
 * made by the proxy itself, to the address the scope's `lookup` approved (IP literals are checked with
 * `refusal`, since Node skips `lookup` for them). `scope` is read at every connection: a session's reach can
 * narrow while it lives.
 */
export async function startPolicyProxy(scope: () => OutboundScope, onBlocked: (block: ProxyBlock) => void): Promise<PolicyProxy> {
  const sockets = new Set<net.Socket | Duplex>();
  const keep = <S extends net.Socket | Duplex>(socket: S): S => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };

  const server = http.createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Expected an absolute http URL');
      return;
    }
    const refuse = (reason: string) => {
      onBlocked({ target: target.href, reason, tunnel: false });
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', [BLOCKED_HEADER]: encodeURIComponent(reason) }).end(BLOCKED_PAGE);
    };
    if (target.protocol !== 'http:') return refuse(`${target.protocol} requests are not allowed (http and https only)`);
    const host = unbracket(target.hostname);
    const port = Number(target.port || 80);
    const policy = scope();
    const literalRefusal = net.isIP(host) ? policy.refusal(host, port) : null;
    if (literalRefusal) return refuse(`${host} is ${literalRefusal.reason}`);

    const upstream = http.request(
      {
        host,
        port,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: withoutHopByHop(req.headers),
        lookup: policy.lookupFor(port),
        agent: false,
        timeout: UPSTREAM_IDLE_MS,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, withoutHopByHop(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.on('socket', keep);
    upstream.on('timeout', () => upstream.destroy(new Error('upstream idle timeout')));
    upstream.on('error', (error) => {
      if (res.headersSent) return void res.destroy();
      if (isPolicyRefusal(error)) return refuse(`${host}: ${OUTBOUND_FAILURES.refused}`);
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(UNREACHABLE_PAGE);
    });
    req.pipe(upstream);
  });

  server.on('connection', keep);
  server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    keep(client);
    const authority = req.url ?? '';
    const parsed = parseAuthority(authority);
    const refuse = (reason: string, status = '403 Forbidden') => {
      onBlocked({ target: authority, reason, tunnel: true });
      client.end(`HTTP/1.1 ${status}\r\n${BLOCKED_HEADER}: ${encodeURIComponent(reason)}\r\n\r\n`);
    };
    if (!parsed) return refuse('not a host:port authority', '400 Bad Request');
    const policy = scope();
    const literalRefusal = net.isIP(parsed.host) ? policy.refusal(parsed.host, parsed.port) : null;
    if (literalRefusal) return refuse(`${parsed.host} is ${literalRefusal.reason}`);

    const upstream = keep(net.connect({ host: parsed.host, port: parsed.port, lookup: policy.lookupFor(parsed.port) }));
    upstream.setTimeout(UPSTREAM_IDLE_MS, () => upstream.destroy());
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', (error) => {
      if (connected) return void client.destroy();
      if (isPolicyRefusal(error)) refuse(`${parsed.host}: ${OUTBOUND_FAILURES.refused}`);
      else client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('policy proxy did not get a port');

  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function isPolicyRefusal(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === OUTBOUND_REFUSED_CODE;
}

function unbracket(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

/** `example.com:443` or `[::1]:443` → host and port; null when malformed. */
function parseAuthority(authority: string): { host: string; port: number } | null {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(authority);
  if (!match?.[1] || !match[2]) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return null;
  return { host: unbracket(match[1]), port };
}

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}
