import 'server-only';
import { CLIENT_API_ROUTES } from './client-api-docs';
import { json } from './responses';

const PREFIX = '/api/client/v1';

interface Template {
  pattern: RegExp;
  methods: Set<string>;
}

const PATHS = [...new Set(CLIENT_API_ROUTES.map((r) => r.path))];
const templateOf = (path: string): Template => ({
  pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`),
  methods: new Set(CLIENT_API_ROUTES.filter((r) => r.path === path).map((r) => r.method as string)),
});
/** Paths without parameters are looked up directly; only the others are matched against patterns. */
const STATIC_PATHS = new Map(PATHS.filter((p) => !p.includes('{')).map((p) => [p, templateOf(p)]));
const PARAM_TEMPLATES = PATHS.filter((p) => p.includes('{')).map(templateOf);
/** The OpenAPI document is served outside the documented routes, by GET only. */
const OPENAPI_TEMPLATE: Template = { pattern: /^\/openapi\.json$/, methods: new Set(['GET']) };

/**
 * The client API paths the proxy does not run for (see src/proxy.ts): static paths, so nothing in them can be
 * malformed, whose route files answer every method they do not serve themselves with {@link refuseMethod}.
 * Only the hot read path is listed: every proxy invocation costs the framework a second pass over the request.
 */
export const UNGUARDED_PATHS = ['/automations'] as const;

/** An answer given before routing, as plain data: the proxy sends it as a Response, the server in front as is. */
export interface EarlyAnswer {
  status: number;
  body: { error: string; code: string };
  headers: Record<string, string>;
}

/**
 * Answers, before routing, the client API requests the framework would otherwise answer in HTML or with a bare
 * status: paths that are not valid percent-encoding (400), paths that are no endpoint (404), and endpoints
 * called with a method they do not have (405 with Allow). Returns null for the requests the routes serve.
 */
export function guardClientApi(method: string, rawPath: string): Response | null {
  const answer = clientApiAnswer(method, rawPath);
  return answer && json(answer.body, answer.status, answer.headers);
}

/** {@link guardClientApi}'s answer as data; also what scripts/server.mjs sends for methods Next.js cannot carry (http-edge.ts). */
export function clientApiAnswer(method: string, rawPath: string): EarlyAnswer | null {
  if (!rawPath.startsWith(PREFIX)) return null;
  // Only an escape can be malformed; most paths have none.
  if (rawPath.includes('%')) {
    try {
      decodeURIComponent(rawPath);
    } catch {
      return { status: 400, body: { error: 'Malformed URL: the path is not valid percent-encoding', code: 'INVALID_INPUT' }, headers: {} };
    }
  }
  const methods = clientApiMethods(rawPath);
  if (!methods) return { status: 404, body: { error: `No such endpoint: ${method} ${rawPath.slice(0, 200)}`, code: 'NOT_FOUND' }, headers: {} };
  // HEAD is served wherever GET is; OPTIONS everywhere (the framework answers both).
  if (method === 'OPTIONS' || methods.has(method) || (method === 'HEAD' && methods.has('GET'))) return null;
  return methodNotAllowed(method, [...methods]);
}

/** The documented methods of a client API path (`/api/client/v1/…`), or null when it is no endpoint. */
export function clientApiMethods(rawPath: string): ReadonlySet<string> | null {
  const path = rawPath.slice(PREFIX.length).replace(/\/$/, '') || '/';
  const template = path === '/openapi.json' ? OPENAPI_TEMPLATE : (STATIC_PATHS.get(path) ?? PARAM_TEMPLATES.find((t) => t.pattern.test(path)));
  return template?.methods ?? null;
}

/** The one 405 of the console: JSON naming the allowed methods, which `Allow` lists. */
export function methodNotAllowed(method: string, methods: readonly string[]): EarlyAnswer {
  const allow = methods.join(', ');
  return { status: 405, body: { error: `Method ${method.slice(0, 20)} is not allowed here; use ${allow}`, code: 'METHOD_NOT_ALLOWED' }, headers: { allow } };
}

/**
 * OPTIONS for the routes of {@link UNGUARDED_PATHS}: 204 with the Allow header the framework derives for a route
 * that exports only the methods the API documents (HEAD comes with GET), which the refusals would otherwise widen.
 */
export function answerOptions(request: Request): Response {
  const template = STATIC_PATHS.get(rawPathOf(request.url).slice(PREFIX.length).replace(/\/$/, '') || '/');
  const allow = new Set(['OPTIONS', ...(template?.methods ?? [])]);
  if (allow.has('GET')) allow.add('HEAD');
  return new Response(null, { status: 204, headers: { allow: [...allow].sort().join(', ') } });
}

function rawPathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const query = url.indexOf('?', start);
  return url.slice(start, query < 0 ? undefined : query);
}

/**
 * The guard's answer to a method a route does not have, for the routes of {@link UNGUARDED_PATHS}, which the
 * proxy skips: their route files export it for every method they do not serve, so those answer exactly as the
 * proxy would (405 JSON with Allow).
 */
export function refuseMethod(request: Request): Response {
  return (
    guardClientApi(request.method, rawPathOf(request.url)) ?? json({ error: `Method ${request.method} is not allowed here`, code: 'METHOD_NOT_ALLOWED' }, 405)
  );
}
