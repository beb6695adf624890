import { type NextRequest, NextResponse } from 'next/server';
import { guardClientApi } from './server/http/client-api-guard';
import { STRICT_TRANSPORT_SECURITY, arrivedOverTls, contentSecurityPolicy, newNonce } from './server/http/page-security';

/**
 * Runs before routing. For the client API: malformed paths and wrong methods get JSON answers. For pages: a
 * per-request Content Security Policy with a script nonce (and HSTS over TLS).
 */
export function proxy(request: NextRequest): Response | undefined {
  // The raw path, before the framework decodes it (decoding a bad escape is what would fail).
  const rawPath = new URL(request.url).pathname;
  if (rawPath.startsWith('/api/')) return guardClientApi(request.method, rawPath) ?? undefined;
  return securePage(request);
}

function securePage(request: NextRequest): NextResponse {
  const policy = contentSecurityPolicy(newNonce(), process.env.NODE_ENV === 'development');
  // The framework reads the nonce from the request's policy and puts it on every script it renders.
  const headers = new Headers(request.headers);
  headers.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', policy);
  if (arrivedOverTls(request.url, request.headers.get('x-forwarded-proto'))) response.headers.set('strict-transport-security', STRICT_TRANSPORT_SECURITY);
  return response;
}

/**
 * The client API, but the paths of UNGUARDED_PATHS (client-api-guard.ts): running the proxy costs the framework
 * about as much as serving a small route, and those routes answer wrong methods themselves. Then every page, but
 * not the other API routes, static assets or images. Matchers must be literals, so the list is spelled out here;
 * client-api-guard.test.ts checks the client API ones against UNGUARDED_PATHS.
 */
export const config = {
  matcher: ['/api/client/v1', '/api/client/v1/:path((?!automations$).*)', '/((?!api/|_next/static/|_next/image|favicon\\.ico).*)'],
};
