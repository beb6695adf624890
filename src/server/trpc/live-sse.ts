import 'server-only';
import { listSessionsQuerySchema } from '../browser/browser.schemas';
import { SESSION_COOKIE } from '../auth/operator.service';
import type { Container } from '../container';
import { isAppError } from '../errors';
import { json } from '../http/responses';
import { readCookie } from './context';
import { automationsTopic, browserTopic } from './live-feeds';
import type { LiveSink } from './live-topic';
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

/**
 * GET /api/trpc/<live procedure> with Accept: text/event-stream. Answers 401 without a session (so EventSource
 * stops instead of reconnecting), 400 for a bad input, 429 with Retry-After over a stream cap; else the stream:
 * `connected`, then what the client lacks after its Last-Event-ID (header, or `lastEventId` in the query or in the
 * tRPC input), then the topic's events as they happen, and `: ping` comments in between.
 */
export async function serveLiveStream(container: Container, req: Request, path: string): Promise<Response> {
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
  const lastEventId = req.headers.get('last-event-id') ?? url.searchParams.get('lastEventId') ?? fromInput;

  let feed: ReturnType<typeof automationsTopic> | ReturnType<typeof browserTopic>;
  if (path === 'browser.onChange') {
    const { lastEventId: _ignored, ...filters } = input;
    const query = listSessionsQuerySchema.safeParse(filters);
    if (!query.success) return json({ error: query.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '), code: 'INVALID_INPUT' }, 400);
    feed = browserTopic(container, query.data);
  } else {
    feed = automationsTopic(container);
  }

  let releaseSlot: () => void;
  try {
    releaseSlot = container.liveStreams.acquire(`operator:${operator.id}`, undefined);
  } catch (error) {
    feed.release();
    if (!isAppError(error)) throw error;
    return json({ error: error.message, code: 'TOO_MANY_REQUESTS' }, 429, { 'retry-after': String(error.details.retryAfterSeconds ?? 5) });
  }

  const { signal } = bindStreamToSession(container, req);
  const { topic, release: releaseTopic } = feed;
  let closed = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const write = (bytes: Uint8Array) => {
    if (closed) return;
    if ((controller.desiredSize ?? 0) < -MAX_QUEUED_BYTES) return end();
    controller.enqueue(bytes);
  };
  const sink: LiveSink<unknown> = { deliver: (entry) => write(entry.bytes) };
  const stopPing = addPing(() => write(PING));
  const end = () => {
    if (closed) return;
    closed = true;
    signal.removeEventListener('abort', end);
    stopPing();
    topic.leave(sink as LiveSink<never>);
    releaseTopic();
    releaseSlot();
    try {
      controller.close();
    } catch {
      // already cancelled by the client
    }
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: end,
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
  write(CONNECTED);
  signal.addEventListener('abort', end, { once: true });
  if (signal.aborted) end();
  try {
    await topic.join(sink as LiveSink<never>, lastEventId);
  } catch {
    end();
    return json({ error: 'The live view is restarting; try again', code: 'SERVICE_UNAVAILABLE' }, 503, { 'retry-after': '1' });
  }
  if (closed) topic.leave(sink as LiveSink<never>);
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}
