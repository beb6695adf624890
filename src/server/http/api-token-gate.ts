import 'server-only';
import type { Scope } from '../auth/auth.schemas';
import { type Caller, tokenCaller } from '../auth/caller';
import type { TokenPrincipal } from '../auth/token.service';
import type { Container } from '../container';
import { AppError, isAppError } from '../errors';
import { routeLabel } from '../observability/metrics';
import { clientAddress, clientLimitKey } from './client-address';
import { errorResponse, json } from './responses';

/** Next.js passes dynamic segments as a promise. */
export interface RouteContext {
  params: Promise<Record<string, string | string[] | undefined>>;
}

export interface RestRequest {
  request: Request;
  params: Record<string, string>;
  principal: TokenPrincipal;
  /** The token as a {@link Caller}, built here once for every handler; `caller.label` is `token:<name>`. */
  caller: Caller;
  container: Container;
}

/**
 * The client API's token gate around a REST handler: failed-authentication limit per client, Bearer token (cookies
 * are never accepted), per-token rate limit, scope check, then the handler; errors mapped by responses.ts,
 * `Cache-Control: no-store`, request metrics. A handler returns a body (200) or a Response.
 */
export function withApiToken(
  getContainer: () => Promise<Container>,
  scope: Scope,
  handler: (req: RestRequest) => Promise<Response | Record<string, unknown>>,
): (request: Request, context: RouteContext) => Promise<Response> {
  return async (request, context) => {
    const started = performance.now();
    let container: Container;
    try {
      container = await getContainer();
    } catch (error) {
      return errorResponse(error, null);
    }
    const response = await handle(container, request, context, scope, handler);
    const route = cachedRouteLabel(request.url);
    container.metrics.httpRequests.inc({ route, method: request.method, status: String(response.status) });
    container.metrics.httpDuration.observe({ route, method: request.method }, (performance.now() - started) / 1000);
    return response;
  };
}

const routeLabels = new Map<string, string>();

/**
 * The metrics label of a request's path, without parsing the whole URL on every request of the hot read paths:
 * the path is what follows the origin up to the query, and its label is remembered (bounded: paths carry ids).
 */
function cachedRouteLabel(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const query = url.indexOf('?', start);
  const pathname = start < 0 ? '/' : url.slice(start, query < 0 ? undefined : query);
  let label = routeLabels.get(pathname);
  if (label === undefined) {
    label = routeLabel(pathname);
    if (routeLabels.size >= 1000) routeLabels.clear();
    routeLabels.set(pathname, label);
  }
  return label;
}

async function handle(
  container: Container,
  request: Request,
  context: RouteContext,
  scope: Scope,
  handler: (req: RestRequest) => Promise<Response | Record<string, unknown>>,
): Promise<Response> {
  try {
    const principal = await authenticate(container, request);
    const verdict = await container.apiLimits.hitToken(principal.id);
    if (!verdict.allowed) {
      throw new AppError('RATE_LIMITED', `Rate limit exceeded for this token; retry in ${verdict.retryAfterSeconds} s`, {
        retryAfterSeconds: verdict.retryAfterSeconds,
      });
    }
    if (!principal.scopes.has(scope)) throw new AppError('FORBIDDEN', `This token lacks the scope ${scope}`);
    const raw = context?.params ? await context.params : {};
    const params = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join('/') : (v ?? '')]));
    const result = await handler({ request, params, principal, caller: tokenCaller(principal), container });
    return result instanceof Response ? result : json(result);
  } catch (error) {
    return errorResponse(error, container.logger);
  }
}

/**
 * Resolves the Bearer token. A client that failed AUTH_FAILURES_PER_MINUTE times this minute is refused (429)
 * before its token is looked up; every failure counts, forged tokens with a valid checksum included.
 */
async function authenticate(container: Container, request: Request): Promise<TokenPrincipal> {
  const client = clientLimitKey(clientAddress(request.headers, container.config.TRUSTED_PROXY_HOPS));
  // A client over its failure budget is refused before any lookup — unless it presents a token that authenticated
  // here in the last minutes: a neighbour behind the same NAT guessing tokens must not lock out a real script. Such
  // a token skips the budget check altogether, which keeps the limiter's round trip off the hot path of scripts.
  const known = container.tokens.wasRecentlyValid(bearerToken(request) ?? '');
  const gate = known ? { allowed: true as const } : await container.apiLimits.mayAuthenticate(client);
  if (!gate.allowed) {
    throw new AppError('RATE_LIMITED', `Too many failed authentications from this client; retry in ${gate.retryAfterSeconds} s`, {
      retryAfterSeconds: gate.retryAfterSeconds,
    });
  }
  try {
    return await resolveToken(container, request);
  } catch (error) {
    if (isAppError(error) && error.code === 'UNAUTHENTICATED') await container.apiLimits.recordFailure(client);
    throw error;
  }
}

/** The token of an `Authorization: Bearer …` header, or null when there is none or it is malformed. */
function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  return header ? (/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null) : null;
}

async function resolveToken(container: Container, request: Request): Promise<TokenPrincipal> {
  if (!request.headers.get('authorization')) throw new AppError('UNAUTHENTICATED', 'Missing API token: send "Authorization: Bearer cpeer_…"');
  const token = bearerToken(request);
  if (!token) throw new AppError('UNAUTHENTICATED', 'Malformed Authorization header: expected "Bearer cpeer_…"');
  return container.tokens.authenticate(token);
}
