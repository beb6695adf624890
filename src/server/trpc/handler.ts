import 'server-only';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { Container } from '../container';
import { errorReference, isAppError } from '../errors';
import { readCapped } from '../http/read-capped';
import { json } from '../http/responses';
import { appRouter } from './app-router';
import { createTrpcContext } from './context';
import { LIVE_PROCEDURES, registerDirectLive, serveLiveStream } from './live-sse';
import { bindStreamToSession } from './session-guard';

/** Procedures that may not share a request with any other call: one password verification per request. */
const UNBATCHABLE = new Set(['auth.login']);

/**
 * tRPC over fetch at /api/trpc. Mutations are POST with a JSON body only, so a cross-site HTML form cannot
 * reach them (the session cookie is SameSite=Lax as well). Before tRPC parses anything, the work an anonymous
 * caller can cause is bounded: the query string, the number of calls in a batch, and the body — read as a
 * stream and cut off at TRPC_MAX_BODY_BYTES whether or not it declared a length.
 */
export function trpcHandler(getContainer: () => Promise<Container>, endpoint = '/api/trpc') {
  registerDirectLive(getContainer);
  return async (req: Request): Promise<Response> => {
    if (req.method === 'POST' && !(req.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      return json({ error: 'tRPC mutations need Content-Type: application/json', code: 'INVALID_INPUT' }, 415);
    }
    const container = await getContainer();
    const limits = container.config;
    const url = new URL(req.url);
    if (url.search.length > limits.TRPC_MAX_QUERY_BYTES) {
      return json({ error: `The query string is longer than ${limits.TRPC_MAX_QUERY_BYTES} bytes`, code: 'PAYLOAD_TOO_LARGE' }, 414);
    }
    const paths = procedurePaths(url.pathname, endpoint);
    if (paths.length > limits.TRPC_MAX_BATCH_SIZE) {
      return json({ error: `A batch may hold at most ${limits.TRPC_MAX_BATCH_SIZE} calls; this one has ${paths.length}`, code: 'INVALID_INPUT' }, 400);
    }
    if (paths.length > 1 && paths.some((p) => UNBATCHABLE.has(p))) {
      return json({ error: 'auth.login cannot be batched with other calls; send it alone', code: 'INVALID_INPUT' }, 400);
    }
    // Live lists are written straight from the shared topics (one read and one serialisation per change for all).
    const path = paths[0];
    if (req.method === 'GET' && paths.length === 1 && path !== undefined && LIVE_PROCEDURES.has(path)) {
      // Whatever its Accept header: tRPC would serve a subscription as SSE anyway, outside the session binding.
      return serveLiveStream(container, req, path);
    }
    let request = req;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const body = await readCapped(req, limits.TRPC_MAX_BODY_BYTES);
      if (body === null) {
        return json({ error: `The request body is larger than ${Math.floor(limits.TRPC_MAX_BODY_BYTES / 1024)} KiB`, code: 'PAYLOAD_TOO_LARGE' }, 413);
      }
      request = new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal });
    }
    // A live stream ends when its session does (sign-out, an admin ending it, the operator disabled).
    request = bindStreamToSession(container, request);
    return fetchRequestHandler({
      endpoint,
      req: request,
      router: appRouter,
      maxBatchSize: limits.TRPC_MAX_BATCH_SIZE,
      createContext: ({ resHeaders }) => createTrpcContext(container, request, resHeaders),
      // A refusal that says when to come back (sign-in throttle and gate, live-stream caps) says it in HTTP too.
      responseMeta: ({ errors }) => {
        const seconds = errors.map((e) => (isAppError(e.cause) ? e.cause.details.retryAfterSeconds : undefined)).find((v) => v !== undefined);
        return seconds === undefined ? {} : { headers: new Headers({ 'retry-after': String(seconds) }) };
      },
      onError: ({ error, path }) => {
        if (error.code !== 'INTERNAL_SERVER_ERROR') return;
        // The caller sees only the reference (init.ts masks the message with the same one).
        const cause = error.cause ?? error;
        container.logger.error(
          { reference: errorReference(error), path, error: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause) },
          'tRPC procedure failed',
        );
      },
    });
  };
}

/** The procedure paths a request names, as tRPC will split them (a batch joins them with commas). */
function procedurePaths(pathname: string, endpoint: string): string[] {
  const rest = pathname.startsWith(endpoint) ? pathname.slice(endpoint.length) : pathname;
  return rest.replace(/^\/+|\/+$/g, '').split(',');
}
