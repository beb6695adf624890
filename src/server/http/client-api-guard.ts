import { CLIENT_API_ROUTES } from './client-api-docs';
import { json } from './responses';

const PREFIX = '/api/client/v1';

const TEMPLATES = [...new Set(CLIENT_API_ROUTES.map((r) => r.path))].map((path) => ({
  pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`),
  methods: new Set(CLIENT_API_ROUTES.filter((r) => r.path === path).map((r) => r.method as string)),
}));

/**
 * Answers, before routing, the client API requests the framework would otherwise answer in HTML or with a bare
 * status: paths that are not valid percent-encoding (400) and known paths called with a method they do not
 * have (405 with Allow). Returns null for everything else.
 */
export function guardClientApi(method: string, rawPath: string): Response | null {
  if (!rawPath.startsWith(PREFIX)) return null;
  try {
    decodeURIComponent(rawPath);
  } catch {
    return json({ error: 'Malformed URL: the path is not valid percent-encoding', code: 'INVALID_INPUT' }, 400);
  }
  if (method === 'OPTIONS' || method === 'HEAD') return null;
  const path = rawPath.slice(PREFIX.length) || '/';
  const template = TEMPLATES.find((t) => t.pattern.test(path));
  if (!template || template.methods.has(method)) return null;
  const allow = [...template.methods].join(', ');
  return json({ error: `Method ${method} is not allowed here; use ${allow}`, code: 'METHOD_NOT_ALLOWED' }, 405, { allow });
}
