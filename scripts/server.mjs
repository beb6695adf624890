// The console's HTTP server: Next.js through its custom-server API, in front of which nothing the client sends
// about its own address survives. `x-console-peer` is always the socket's peer (src/server/http/client-address.ts
// derives the client from it and, with TRUSTED_PROXY_HOPS, from the proxies' X-Forwarded-For).
//
// Usage: node scripts/server.mjs [--port N] [--hostname H]   (needs a build in .next; `npm start` makes one)
// Signals: the console drains runs on SIGTERM/SIGINT itself (src/server/boot.ts), so nothing here handles them.
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { port: { type: 'string', short: 'p' }, hostname: { type: 'string', short: 'H' } } });
const port = Number(values.port ?? process.env.PORT ?? 3000);
const hostname = values.hostname;
// The console's own configuration (default INSTANCE_ID, the first-start message) reads the port from PORT.
process.env.PORT = String(port);

process.env.NODE_ENV = 'production';
process.env.NEXT_TELEMETRY_DISABLED ??= '1';
process.env.NEXT_MANUAL_SIG_HANDLE ??= 'true';
// Imported after the environment is settled: Next reads NODE_ENV when it loads.
const { default: next } = await import('next');

const PEER_HEADER = 'x-console-peer';
/** Where src/server/http/http-edge.ts puts the edge once the container is built (register(), during prepare()). */
const EDGE_KEY = Symbol.for('automations-console.http-edge');
/** Set by the tRPC route (src/server/trpc/live-sse.ts) once loaded: serves live-stream GETs past Next.js's pipeline. */
const LIVE_HOOK = Symbol.for('automations-console.live-sse');
/** How long a connection whose request was answered early (e.g. 413) may linger before it is cut. */
const EARLY_ANSWER_GRACE_MS = 1_000;
// prepare() loads the build and runs instrumentation's register() (migrations, scheduler, signal handling).
const app = next({ dev: false, dir: root, hostname: hostname ?? 'localhost', port });
await app.prepare();
const handle = app.getRequestHandler();

const server = http.createServer((req, res) => {
  delete req.headers[PEER_HEADER];
  req.headers[PEER_HEADER] = req.socket.remoteAddress ?? '';
  // An answer given before the request body arrived in full (413 for an oversized body, a 401 that never read
  // it) says `Connection: close`, so no client reuses the connection. Closing the socket at once would reset it
  // while the client is still sending, and a reset can discard the answer in the client's receive buffer before
  // it is read (the client then sees EPIPE/ECONNRESET instead of the 413). So the socket lingers instead: the
  // answer is followed by FIN, what the client still sends is read and dropped (never buffered), and the socket
  // is cut when the client closes its side or after EARLY_ANSWER_GRACE_MS, whichever comes first. Node calls
  // writeHead for implicit headers too, and calls destroySoon once a closing answer is written.
  const writeHead = res.writeHead;
  res.writeHead = function (...args) {
    if (!req.complete) {
      res.shouldKeepAlive = false;
      lingerOnClose(req.socket);
    }
    return writeHead.apply(this, args);
  };
  // Live streams (GET on a live subscription) are written straight to the response; an early refusal of one
  // (401, 429) with a body still coming closes like any other.
  const live = globalThis[LIVE_HOOK];
  if (live && live.matches(req.method, req.url, req.headers.accept)) {
    live.serve(req, res).catch((error) => {
      console.error('live stream failed:', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"Internal error","code":"INTERNAL"}');
    });
    return;
  }
  // Answers Next.js must not or cannot give (src/server/http/http-edge.ts): methods it has no route for (TRACE
  // would fail inside it with a stack trace, PROPFIND get an empty 400), targets over 8 KiB, CORS preflights.
  const edge = globalThis[EDGE_KEY];
  const early = edge?.early(req.method, req.url, req.headers);
  if (early) {
    res.writeHead(early.status, { ...early.headers, 'content-length': Buffer.byteLength(early.body) });
    res.end(req.method === 'HEAD' ? undefined : early.body);
    return;
  }
  const extra = edge?.responseHeaders(req.method, req.url, req.headers);
  if (extra) for (const [name, value] of Object.entries(extra)) res.setHeader(name, value);
  handle(req, res).catch((error) => {
    console.error('request failed outside the app:', error);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end('{"error":"Internal error","code":"INTERNAL"}');
  });
});
/**
 * Replaces the socket's close-after-answer with a lingering close (see the request handler): the answer is
 * flushed and followed by FIN, reading stops (the unread rest of the body stays in the kernel and fills the
 * client's window, so it costs this process nothing), and the socket is cut after EARLY_ANSWER_GRACE_MS, or
 * earlier if it closes. A client still sending then blocks rather than being reset, and reads the answer.
 */
function lingerOnClose(socket) {
  if (socket.lingering) return;
  socket.lingering = true;
  socket.destroySoon = function () {
    if (this.writable) this.end();
    this.pause();
    this._handle?.readStop?.();
    // Nothing may start reading again: the request's own stream would, as it drains what was parsed.
    this.resume = () => this;
    const timer = setTimeout(() => this.destroy(), EARLY_ANSWER_GRACE_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

// Requests the parser refuses never reach the handler. A head over Node's 16 KiB limit whose request line is over
// 8 KiB (or has not ended in what was read) is a long URL: 414, as the docs promise, rather than Node's 431; a method Node parses no route for,
// and CONNECT, get the console's JSON 405. The rest answer as Node would, without a body.
const MAX_TARGET_BYTES = 8 * 1024; // as http-edge.ts
const PARSER_STATUS = { HPE_HEADER_OVERFLOW: 431, HPE_CHUNK_EXTENSIONS_OVERFLOW: 413, ERR_HTTP_REQUEST_TIMEOUT: 408 };
const REASONS = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};
server.on('clientError', (error, socket) => {
  if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
  const head = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.subarray(0, 64 * 1024).toString('latin1') : '';
  const end = head.indexOf('\r\n');
  const requestLine = end < 0 ? head : head.slice(0, end);
  if (error.code === 'HPE_HEADER_OVERFLOW' && /^[A-Z]+ /.test(requestLine) && requestLine.length > MAX_TARGET_BYTES)
    return writeRaw(socket, globalThis[EDGE_KEY]?.uriTooLong(), 414);
  const line = /^([A-Z][A-Z_-]{0,19}) (\S+) HTTP\/1\.[01]\r\n/.exec(head);
  if (error.code === 'HPE_INVALID_METHOD' && line) return writeRaw(socket, globalThis[EDGE_KEY]?.early(line[1], line[2], {}));
  writeRaw(socket, null, PARSER_STATUS[error.code] ?? 400);
});
server.on('connect', (req, socket) => writeRaw(socket, globalThis[EDGE_KEY]?.early('CONNECT', req.url.startsWith('/') ? req.url : '/', {})));

/** Writes an answer on a socket the HTTP server has given up, then closes it. */
function writeRaw(socket, answer, fallbackStatus = 400) {
  const status = answer?.status ?? fallbackStatus;
  const body = answer?.body ?? '';
  const headers = { ...answer?.headers, 'content-length': Buffer.byteLength(body), connection: 'close' };
  const lines = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n${lines}\r\n${body}`);
}

server.on('error', (error) => {
  console.error(`Automations Console cannot listen on ${hostname ?? '*'}:${port}: ${error.message}`);
  process.exit(1);
});
server.listen(port, hostname, () => {
  console.log(`Automations Console listening on http://${hostname ?? 'localhost'}:${port}`);
});
