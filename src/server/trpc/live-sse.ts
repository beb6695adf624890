import 'server-only';
import { type ListSessionsQuery, listSessionsQuerySchema } from '../browser/browser.schemas';
import { SESSION_COOKIE } from '../auth/operator.service';
import type { Container } from '../container';
import { isAppError } from '../errors';
import { json } from '../http/responses';
import { readCookie } from './context';
import { automationsTopic, browserTopic } from './live-feeds';
import type { LiveSink, LiveTopic } from './live-topic';
import { bindStreamToSession } from './session-guard';

/** The subscriptions served here, as SSE written straight from the shared topics (tRPC's wire format). */
export const LIVE_PROCEDURES = new Set(['automations.onChange', 'browser.onChange']);

/** Every open stream gets a comment line this often, so proxies with idle timeouts keep it. */
export const LIVE_PING_MS = 15_000;
/** A stream whose client reads slower than this much queued output is closed (it resumes with Last-Event-ID). */
const MAX_QUEUED_BYTES = 1024 * 1024;

const encoder = new TextEncoder();
/** tRPC's httpSubscriptionLink counts a stream as open after this event; its data is the client options (none). */
const CONNECTED = encoder.encode('event: connected\ndata: {}\n\n');
const PING = encoder.encode(': ping\n\n');

/** Pings go out in 15 groups, one group a second, so 10,000 idle streams cost ~670 small writes a second. */
const PING_GROUPS = 15;
const pingGroups = Array.from({ length: PING_GROUPS }, () => new Set<() => void>());
let pingTick = 0;
let pingNext = 0;
let pingTimer: NodeJS.Timeout | null = null;

function addPing(ping: () => void): () => void {
  const group = pingGroups[pingNext++ % PING_GROUPS] as Set<() => void>;
  group.add(ping);
  if (!pingTimer) {
    pingTimer = setInterval(() => {
      for (const p of pingGroups[pingTick++ % PING_GROUPS] as Set<() => void>) p();
    }, LIVE_PING_MS / PING_GROUPS);
    pingTimer.unref();
  }
  return () => group.delete(ping);
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/** Where a stream's bytes go: a web ReadableStream (through Next.js) or the Node response itself. */
export interface LiveOut {
  /** Queues bytes; false when the client has more than MAX_QUEUED_BYTES unread (the stream is then ended). */
  write(bytes: Uint8Array): boolean;
  close(): void;
}

interface Admitted {
  feed: { topic: LiveTopic<unknown>; release: () => void };
  releaseSlot: () => void;
  signal: AbortSignal;
  lastEventId: string | null;
}

/**
 * GET /api/trpc/<live procedure> with Accept: text/event-stream, checked before any stream opens: 401 without a
 * session (so EventSource stops instead of reconnecting), 400 for a bad input, 429 with Retry-After over a stream
 * cap. The Last-Event-ID is the header, or `lastEventId` in the query or in the tRPC input.
 */
async function admit(container: Container, req: Request, path: string, closed: AbortSignal): Promise<Response | Admitted> {
  const url = new URL(req.url);
  const operator = await container.operators.fromSession(readCookie(req.headers.get('cookie'), SESSION_COOKIE));
  if (!operator) return json({ error: 'Sign in to use the console', code: 'UNAUTHORIZED' }, 401);

  let input: Record<string, unknown> = {};
  const rawInput = url.searchParams.get('input');
  if (rawInput !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawInput);
    } catch {
      return json({ error: 'input must be JSON', code: 'INVALID_INPUT' }, 400);
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) input = parsed as Record<string, unknown>;
  }
  const fromInput = typeof input.lastEventId === 'string' ? input.lastEventId : null;
  const given = req.headers.get('last-event-id') ?? url.searchParams.get('lastEventId') ?? fromInput;
  // Ids are short (`<8 hex>-<seq>`); anything longer cannot be one and gets a snapshot.
  const lastEventId = given !== null && given.length <= 100 ? given : null;

  let filters: ListSessionsQuery | null = null;
  if (path === 'browser.onChange') {
    const { lastEventId: _ignored, ...rest } = input;
    const query = listSessionsQuerySchema.safeParse(rest);
    if (!query.success)
      return json({ error: query.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '), code: 'INVALID_INPUT' }, 400);
    filters = query.data;
  }
  // The slot first: a caller over its cap makes no topic (and no read of its list).
  let releaseSlot: () => void;
  try {
    releaseSlot = container.liveStreams.acquire(`operator:${operator.id}`, undefined);
  } catch (error) {
    if (!isAppError(error)) throw error;
    return json({ error: error.message, code: 'TOO_MANY_REQUESTS' }, 429, { 'retry-after': String(error.details.retryAfterSeconds ?? 5) });
  }
  const feed = (filters === null ? automationsTopic(container) : browserTopic(container, filters)) as Admitted['feed'];
  const bound = bindStreamToSession(container, new Request(req.url, { headers: req.headers, signal: closed }));
  return { feed, releaseSlot, signal: bound.signal, lastEventId };
}

/** Runs an admitted stream on `out`: `connected`, what the client lacks, then the topic's events and pings. */
async function run(admitted: Admitted, out: LiveOut): Promise<{ end: () => void; ok: boolean }> {
  const { feed, releaseSlot, signal, lastEventId } = admitted;
  let closed = false;
  const write = (bytes: Uint8Array) => {
    if (!closed && !out.write(bytes)) end();
  };
  const sink: LiveSink<unknown> = { deliver: (entry) => write(entry.bytes) };
  const stopPing = addPing(() => write(PING));
  const end = () => {
    if (closed) return;
    closed = true;
    signal.removeEventListener('abort', end);
    stopPing();
    feed.topic.leave(sink);
    feed.release();
    releaseSlot();
    out.close();
  };
  write(CONNECTED);
  signal.addEventListener('abort', end, { once: true });
  if (signal.aborted) end();
  try {
    await feed.topic.join(sink, lastEventId);
  } catch {
    end();
    return { end, ok: false };
  }
  if (closed) feed.topic.leave(sink);
  return { end, ok: true };
}

const RESTARTING = () => json({ error: 'The live view is restarting; try again', code: 'SERVICE_UNAVAILABLE' }, 503, { 'retry-after': '1' });

/** The stream as a web Response (the path through Next.js's route handler). */
export async function serveLiveStream(container: Container, req: Request, path: string): Promise<Response> {
  const admitted = await admit(container, req, path, req.signal);
  if (admitted instanceof Response) return admitted;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = () => undefined as void;
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: () => ended(),
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
  const out: LiveOut = {
    write: (bytes) => {
      if ((controller.desiredSize ?? 0) < -MAX_QUEUED_BYTES) return false;
      controller.enqueue(bytes);
      return true;
    },
    close: () => {
      try {
        controller.close();
      } catch {
        // already cancelled by the client
      }
    },
  };
  const { end, ok } = await run(admitted, out);
  ended = end;
  return ok ? new Response(body, { status: 200, headers: SSE_HEADERS }) : RESTARTING();
}

/** The Node request and response of scripts/server.mjs, as far as a stream needs them. */
interface NodeRequest {
  url?: string;
  method?: string;
  headers: Record<string, string | string[] | undefined>;
}
interface NodeResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Uint8Array): boolean;
  end(chunk?: string): unknown;
  readonly writableLength: number;
  on(event: 'close', listener: () => void): unknown;
}

/** Headers every answer gets from next.config.mjs; a stream written past Next.js sets them itself. */
const BASE_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

/**
 * The same stream written straight to the Node response, past Next.js's response pipeline (a web stream piped
 * into a writable per stream, ≈ 3× the cost of the write itself at thousands of streams). scripts/server.mjs
 * hands live-stream GETs here once the tRPC route has registered it (see {@link registerDirectLive}).
 */
async function serveDirect(getContainer: () => Promise<Container>, req: NodeRequest, res: NodeResponse): Promise<void> {
  const container = await getContainer();
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  // A fixed origin: the client's Host header may hold anything (a space would throw, a `/` move the path).
  const url = new URL(req.url ?? '/', 'http://localhost').href;
  const closed = new AbortController();
  res.on('close', () => closed.abort());
  const send = async (answer: Response) => {
    const h: Record<string, string> = { ...BASE_HEADERS };
    answer.headers.forEach((v, k) => (h[k] = v));
    res.writeHead(answer.status, h);
    res.end(await answer.text());
  };
  if (new URL(url).search.length > container.config.TRPC_MAX_QUERY_BYTES) {
    return send(json({ error: `The query string is longer than ${container.config.TRPC_MAX_QUERY_BYTES} bytes`, code: 'PAYLOAD_TOO_LARGE' }, 414));
  }
  const path = livePath(new URL(url).pathname);
  if (path === null) return send(json({ error: 'Not a live stream', code: 'NOT_FOUND' }, 404));
  const admitted = await admit(container, new Request(url, { headers }), path, closed.signal);
  if (admitted instanceof Response) return send(admitted);
  res.writeHead(200, { ...BASE_HEADERS, ...SSE_HEADERS });
  const { ok } = await run(admitted, {
    write: (bytes) => {
      if (res.writableLength > MAX_QUEUED_BYTES) return false;
      res.write(bytes);
      return true;
    },
    close: () => res.end(),
  });
  if (!ok) res.end();
}

function livePath(pathname: string): string | null {
  const path = pathname.replace(/^\/api\/trpc\/?/, '').replace(/\/+$/, '');
  return LIVE_PROCEDURES.has(path) ? path : null;
}

const DIRECT_HOOK = Symbol.for('automations-console.live-sse');

/** Lets scripts/server.mjs send live-stream GETs (SSE) here without Next.js's response pipeline. */
export function registerDirectLive(getContainer: () => Promise<Container>): void {
  (globalThis as Record<symbol, unknown>)[DIRECT_HOOK] = {
    matches: (method: string | undefined, url: string | undefined, accept: string | undefined) =>
      method === 'GET' && (accept ?? '').includes('text/event-stream') && livePath((url ?? '').split('?')[0] ?? '') !== null,
    serve: (req: NodeRequest, res: NodeResponse) => serveDirect(getContainer, req, res),
  };
}
