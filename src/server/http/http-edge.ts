import 'server-only';
import { type EarlyAnswer, clientApiAnswer, clientApiMethods, methodNotAllowed } from './client-api-guard';

const PREFIX = '/api/client/v1';
const OPENAPI_PATH = `${PREFIX}/openapi.json`;

/** The methods Next.js carries to a route. Any other (TRACE, PROPFIND, …) never reaches it: the edge answers 405. */
export const ROUTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Longest request target (path and query) outside tRPC, which bounds its own query (TRPC_MAX_QUERY_BYTES, 414). */
export const MAX_TARGET_BYTES = 8 * 1024;

/** What a preflight may ask for, and what a page may read of an answer. */
const CORS_REQUEST_HEADERS = 'Authorization, Content-Type, If-None-Match';
const CORS_EXPOSED_HEADERS = 'Allow, ETag, Location, Retry-After, WWW-Authenticate';
const CORS_MAX_AGE_SECONDS = '600';

/** The answer the server writes itself, body serialized. */
export interface EdgeAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * What scripts/server.mjs asks before Next.js sees a request (Next.js cannot build a request for TRACE and answers
 * other methods it does not know with an empty 400), and the CORS headers it adds to the answer Next.js gives.
 */
export interface HttpEdge {
  /** An answer for a request the routes must not see, or null. */
  early(method: string, target: string, headers: Readonly<Record<string, string | string[] | undefined>>): EdgeAnswer | null;
  /** Headers to add to the routes' answer (CORS), or null. */
  responseHeaders(method: string, target: string, headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> | null;
  /** The 414 for a target so long that Node's parser refused the head before any route saw it. */
  uriTooLong(): EdgeAnswer;
}

/** What next.config.mjs adds to every answer the framework gives, for the answers given before it. */
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

const json = (answer: EarlyAnswer): EdgeAnswer => ({
  status: answer.status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS, ...answer.headers },
  body: JSON.stringify(answer.body),
});

/** The 414 of every path outside tRPC. */
export function uriTooLong(): EdgeAnswer {
  return json({
    status: 414,
    body: { error: `URI too long: the request target may have at most ${MAX_TARGET_BYTES} bytes`, code: 'URI_TOO_LONG' },
    headers: {},
  });
}

function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query < 0 ? target : target.slice(0, query);
}

/**
 * The methods of a path outside the client API, as the route files export them (documented ones only, as the
 * guard's Allow lists them): tRPC takes GET and POST, the rest GET.
 */
function otherMethods(path: string): string[] {
  return path === '/api/trpc' || path.startsWith('/api/trpc/') ? ['GET', 'POST'] : ['GET'];
}

/** `Allow` for the routes outside the client API that answer documented-but-absent methods themselves. */
export function refuseOtherMethod(request: Request): Response {
  const path = pathOf(new URL(request.url).pathname);
  const answer = json(methodNotAllowed(request.method, otherMethods(path)));
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** OPTIONS for those routes: 204 with the Allow the framework would derive from their documented methods alone. */
export function answerOtherOptions(request: Request): Response {
  const methods = otherMethods(pathOf(new URL(request.url).pathname));
  const allow = new Set(['OPTIONS', ...methods, ...(methods.includes('GET') ? ['HEAD'] : [])]);
  return new Response(null, { status: 204, headers: { allow: [...allow].sort().join(', ') } });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function createHttpEdge(options: { corsOrigins: readonly string[] }): HttpEdge {
  const origins = new Set(options.corsOrigins);

  /** The CORS headers of an answer to `origin` for `path`, or null when that origin may not read it. */
  function corsFor(path: string, origin: string | undefined): Record<string, string> | null {
    if (!path.startsWith(PREFIX)) return null;
    // The public document: any page may load it (API tools in the browser); no credentials are involved.
    if (path === OPENAPI_PATH) return { 'access-control-allow-origin': '*' };
    if (origins.size === 0) return null;
    if (origin === undefined || !origins.has(origin)) return { vary: 'Origin' };
    return { 'access-control-allow-origin': origin, 'access-control-expose-headers': CORS_EXPOSED_HEADERS, vary: 'Origin' };
  }

  return {
    early(method, target, headers) {
      const tRpc = target.startsWith('/api/trpc');
      if (!tRpc && Buffer.byteLength(target) > MAX_TARGET_BYTES) return uriTooLong();
      const path = pathOf(target);
      if (!ROUTED_METHODS.has(method)) {
        const guarded = clientApiAnswer(method, path);
        if (guarded) return json(guarded);
        return json(methodNotAllowed(method, otherMethods(path)));
      }
      // A CORS preflight: answered here for the origins it may serve; others get the routes' OPTIONS, without CORS.
      const origin = single(headers.origin);
      const requested = single(headers['access-control-request-method']);
      if (method === 'OPTIONS' && origin !== undefined && requested !== undefined) {
        const cors = corsFor(path, origin);
        const methods = clientApiMethods(path);
        if (cors?.['access-control-allow-origin'] && methods) {
          const allowed = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].join(', ');
          return {
            status: 204,
            headers: {
              ...cors,
              'access-control-allow-methods': allowed,
              'access-control-allow-headers': CORS_REQUEST_HEADERS,
              'access-control-max-age': CORS_MAX_AGE_SECONDS,
              'cache-control': 'no-store',
              ...SECURITY_HEADERS,
            },
            body: '',
          };
        }
      }
      return null;
    },
    uriTooLong,
    responseHeaders(_method, target, headers) {
      return corsFor(pathOf(target), single(headers.origin));
    },
  };
}

const EDGE_KEY = Symbol.for('automations-console.http-edge');

/** Makes the edge visible to scripts/server.mjs, which runs in the same process outside the bundles. */
export function installHttpEdge(edge: HttpEdge): void {
  (globalThis as typeof globalThis & { [EDGE_KEY]?: HttpEdge })[EDGE_KEY] = edge;
}
