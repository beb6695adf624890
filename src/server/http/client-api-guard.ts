import { CLIENT_API_ROUTES } from './client-api-docs';
import { json } from './responses';

const PREFIX = '/api/client/v1';

const TEMPLATES = [...new Set(CLIENT_API_ROUTES.map((r) => r.path))].map((path) => ({
  pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`),
  methods: new Set(CLIENT_API_ROUTES.filter((r) => r.path === path).map((r) => r.method as string)),
}));

/**
 * Answers, before routing, the client API requests the framework would otherwise answer in HTML or with a bare
 * status: paths that are not valid percent-encoding (400), paths that are no endpoint (404), and endpoints
 * called with a method they do not have (405 with Allow). Returns null for the requests the routes serve.
 */
export function guardClientApi(method: string, rawPath: string): Response | null {
  if (!rawPath.startsWith(PREFIX)) return null;
  try {
    decodeURIComponent(rawPath);
  } catch {
    return json({ error: 'Malformed URL: the path is not valid percent-encoding', code: 'INVALID_INPUT' }, 400);
  }
  const path = rawPath.slice(PREFIX.length).replace(/\/$/, '') || '/';
  if (path === '/openapi.json') return null;
  const template = TEMPLATES.find((t) => t.pattern.test(path));
  if (!template) return json({ error: `No such endpoint: ${method} ${rawPath.slice(0, 200)}`, code: 'NOT_FOUND' }, 404);
  if (method === 'OPTIONS' || method === 'HEAD' || template.methods.has(method)) return null;
  const allow = [...template.methods].join(', ');
  return json({ error: `Method ${method} is not allowed here; use ${allow}`, code: 'METHOD_NOT_ALLOWED' }, 405, { allow });
}
