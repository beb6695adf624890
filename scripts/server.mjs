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
  const live = globalThis[LIVE_HOOK];
  if (live && live.matches(req.method, req.url, req.headers.accept)) {
    live.serve(req, res).catch((error) => {
      console.error('live stream failed:', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"Internal error","code":"INTERNAL"}');
    });
    return;
  }
  const writeHead = res.writeHead;
  res.writeHead = function (...args) {
    if (!req.complete) {
      res.shouldKeepAlive = false;
      lingerOnClose(req.socket);
    }
    return writeHead.apply(this, args);
  };
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

server.on('error', (error) => {
  console.error(`Automations Console cannot listen on ${hostname ?? '*'}:${port}: ${error.message}`);
  process.exit(1);
});
server.listen(port, hostname, () => {
  console.log(`Automations Console listening on http://${hostname ?? 'localhost'}:${port}`);
});
