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

/**
 * Answers, before routing, the client API requests the framework would otherwise answer in HTML or with a bare
 * status: paths that are not valid percent-encoding (400), paths that are no endpoint (404), and endpoints
 * called with a method they do not have (405 with Allow). Returns null for the requests the routes serve.
 */
export function guardClientApi(method: string, rawPath: string): Response | null {
  if (!rawPath.startsWith(PREFIX)) return null;
  // Only an escape can be malformed; most paths have none.
  if (rawPath.includes('%')) {
    try {
      decodeURIComponent(rawPath);
    } catch {
      return json({ error: 'Malformed URL: the path is not valid percent-encoding', code: 'INVALID_INPUT' }, 400);
    }
  }
  const path = rawPath.slice(PREFIX.length).replace(/\/$/, '') || '/';
  const template = path === '/openapi.json' ? OPENAPI_TEMPLATE : (STATIC_PATHS.get(path) ?? PARAM_TEMPLATES.find((t) => t.pattern.test(path)));
  if (!template) return json({ error: `No such endpoint: ${method} ${rawPath.slice(0, 200)}`, code: 'NOT_FOUND' }, 404);
  // HEAD is served wherever GET is; OPTIONS everywhere (the framework answers both).
  if (method === 'OPTIONS' || template.methods.has(method) || (method === 'HEAD' && template.methods.has('GET'))) return null;
  const allow = [...template.methods].join(', ');
  return json({ error: `Method ${method} is not allowed here; use ${allow}`, code: 'METHOD_NOT_ALLOWED' }, 405, { allow });
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
    guardClientApi(request.method, rawPathOf(request.url)) ??
    json({ error: `Method ${request.method} is not allowed here`, code: 'METHOD_NOT_ALLOWED' }, 405)
  );
}
