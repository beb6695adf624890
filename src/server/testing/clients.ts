import { createTRPCClient, httpLink } from '@trpc/client';
import type { Container } from '../container';
import { automationRoutes } from '../http/automations.routes';
import type { AppRouter } from '../trpc/app-router';
import { trpcHandler } from '../trpc/handler';

export interface RestResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

/**
 * Calls the REST handlers exactly as Next.js does (a Request in, a Response out), against a test's container.
 * Paths are matched to handlers here the way the App Router's route files do.
 */
export function restClient(c: Container, token: string | null) {
  const routes = automationRoutes(async () => c);
  const table: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/api\/client\/v1\/automations$/, routes.list],
    ['GET', /^\/api\/client\/v1\/automations\/([^/]+)$/, routes.get],
    ['POST', /^\/api\/client\/v1\/automations\/([^/]+)\/run$/, routes.run],
    ['POST', /^\/api\/client\/v1\/automations\/([^/]+)\/pause$/, routes.pause],
    ['POST', /^\/api\/client\/v1\/automations\/([^/]+)\/resume$/, routes.resume],
    ['GET', /^\/api\/client\/v1\/automations\/([^/]+)\/runs$/, routes.runs],
  ];
  return async function call(method: string, pathAndQuery: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<RestResult> {
    const url = new URL(pathAndQuery, 'http://console.test');
    const match = table.find(([m, pattern]) => m === method && pattern.test(url.pathname));
    if (!match) throw new Error(`no route for ${method} ${url.pathname}`);
    const key = match[1].exec(url.pathname)?.[1];
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
    const response = await match[2](new Request(url, { method, headers, body: options.body }), {
      params: Promise.resolve<Record<string, string>>(key === undefined ? {} : { key: decodeURIComponent(key) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

/** A tRPC client whose requests go through the real fetch handler, with a cookie jar for the session. */
export function trpcClient(c: Container) {
  const handler = trpcHandler(async () => c);
  const jar = new Map<string, string>();
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: 'http://console.test/api/trpc',
        fetch: async (input, init) => {
          const headers = new Headers(init?.headers);
          if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
          const response = await handler(new Request(input as string, { method: init?.method, body: init?.body as BodyInit | undefined, headers }));
          for (const cookie of response.headers.getSetCookie()) {
            const [pair] = cookie.split(';');
            const eq = pair?.indexOf('=') ?? -1;
            if (pair && eq > 0) {
              const value = pair.slice(eq + 1);
              if (value === '') jar.delete(pair.slice(0, eq));
              else jar.set(pair.slice(0, eq), value);
            }
          }
          return response;
        },
      }),
    ],
  });
  return { client, jar };
}
