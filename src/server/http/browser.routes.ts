import 'server-only';
import {
  createSessionInputSchema,
  navigateInputSchema,
  pageSessionsQuerySchema,
  sessionIdSchema,
  sessionPageSchema,
  sessionResultSchema,
} from '../browser/browser.schemas';
import type { Container } from '../container';
import { PAGE_DOC } from '../db/keyset-page';
import { AppError } from '../errors';
import { type RestRequest, withApiToken } from './api-token-gate';
import { optionalJsonBody, parseQuery } from './request-input';
import type { RouteDoc } from './openapi';
import { created } from './responses';

/** A tenant-restricted token acts within its tenant only; others see every tenant. */
function sessionIdOf({ params }: RestRequest): string {
  const parsed = sessionIdSchema.safeParse(params.id ?? '');
  if (!parsed.success) throw new AppError('INVALID_INPUT', 'Invalid session id: expected a UUID');
  return parsed.data;
}

/**
 * The client API's browser-session endpoints (docs/browser.md). Each is: authenticate (scope), parse, call the
 * sessions service, shape the answer. `getContainer` is injected so integration tests can use their own container.
 */
export function browserRoutes(getContainer: () => Promise<Container>) {
  return {
    list: withApiToken(getContainer, 'browser:read', async (req) => {
      const page = await req.container.browser.sessions.listPage(req.caller, parseQuery(req.request, pageSessionsQuerySchema));
      return { sessions: page.items, nextCursor: page.nextCursor };
    }),

    create: withApiToken(getContainer, 'browser:write', async (req) => {
      const input = await optionalJsonBody(req.request, createSessionInputSchema);
      const session = await req.container.browser.sessions.create(req.caller, input);
      return created({ session }, `/api/client/v1/browser/sessions/${session.id}`);
    }),

    get: withApiToken(getContainer, 'browser:read', async (req) => ({
      session: await req.container.browser.sessions.get(req.caller, sessionIdOf(req)),
    })),

    close: withApiToken(getContainer, 'browser:write', async (req) => ({
      session: await req.container.browser.sessions.close(req.caller, sessionIdOf(req)),
    })),

    navigate: withApiToken(getContainer, 'browser:write', async (req) => {
      const id = sessionIdOf(req);
      const input = await optionalJsonBody(req.request, navigateInputSchema);
      return { session: await req.container.browser.sessions.navigate(req.caller, id, input.url) };
    }),

    // Looking, so the read scope; it still counts as activity on the session (it renders the page).
    screenshot: withApiToken(getContainer, 'browser:read', async (req) => {
      const { png } = await req.container.browser.sessions.screenshot(req.caller, sessionIdOf(req));
      return new Response(new Uint8Array(png), {
        status: 200,
        headers: { 'content-type': 'image/png', 'cache-control': 'no-store', 'content-length': String(png.byteLength) },
      });
    }),
  };
}

const ID = { id: 'A browser session id (UUID).' };
const NOT_VISIBLE = 'Not found, or not visible to a token restricted to another tenant.';

/** The OpenAPI description of the routes above, from the same schemas. */
export const browserRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/browser/sessions',
    operationId: 'listBrowserSessions',
    tag: 'browser',
    scope: 'browser:read',
    summary: 'List browser sessions, newest first, a page at a time',
    description: PAGE_DOC,
    query: pageSessionsQuerySchema,
    response: sessionPageSchema,
    errors: { 400: 'Invalid query, limit or cursor.', 404: 'Tenant (tenantId): not found, or not visible to a token restricted to another tenant.' },
  },
  {
    method: 'POST',
    path: '/browser/sessions',
    operationId: 'createBrowserSession',
    tag: 'browser',
    scope: 'browser:write',
    summary: 'Open a session on a start URL; answers once the page loaded or failed',
    body: createSessionInputSchema,
    status: 201,
    response: sessionResultSchema,
    errors: {
      400: 'Invalid body, or a URL that is not http(s) or that the outbound policy refuses.',
      404: 'Tenant not found.',
      409: 'QUOTA_EXCEEDED: the tenant holds TENANT_MAX_BROWSER_SESSIONS live sessions.',
      429: 'This instance has its maximum of live sessions; see Retry-After.',
      503: 'The instance is shutting down.',
    },
  },
  {
    method: 'GET',
    path: '/browser/sessions/{id}',
    operationId: 'getBrowserSession',
    tag: 'browser',
    scope: 'browser:read',
    summary: 'Get a session (does not count as activity)',
    pathParams: ID,
    response: sessionResultSchema,
    errors: { 400: 'Invalid id.', 404: NOT_VISIBLE },
  },
  {
    method: 'DELETE',
    path: '/browser/sessions/{id}',
    operationId: 'closeBrowserSession',
    tag: 'browser',
    scope: 'browser:write',
    summary: 'Close a session',
    pathParams: ID,
    response: sessionResultSchema,
    errors: {
      400: 'Invalid id.',
      404: NOT_VISIBLE,
      409: 'The owner instance stopped and did not answer the forwarded call (its heartbeat has not lapsed yet).',
    },
  },
  {
    method: 'POST',
    path: '/browser/sessions/{id}/navigate',
    operationId: 'navigateBrowserSession',
    tag: 'browser',
    scope: 'browser:write',
    summary: 'Navigate a session to a URL',
    pathParams: ID,
    body: navigateInputSchema,
    response: sessionResultSchema,
    errors: {
      400: 'Invalid id or URL.',
      404: NOT_VISIBLE,
      409: 'The session is not live, or its owner instance is gone or did not answer the forwarded call.',
    },
  },
  {
    method: 'GET',
    path: '/browser/sessions/{id}/screenshot',
    operationId: 'getBrowserSessionScreenshot',
    tag: 'browser',
    scope: 'browser:read',
    summary: 'A PNG screenshot of the page (counts as activity)',
    pathParams: ID,
    responseContentType: 'image/png',
    errors: { 400: 'Invalid id.', 404: NOT_VISIBLE, 409: 'The session is not live, or its owner instance is gone or did not answer the forwarded call.' },
  },
];
