import type { NextRequest } from 'next/server';
import { guardClientApi } from './server/http/client-api-guard';

/** Runs before routing for the client API only: malformed paths and wrong methods get JSON answers. */
export function proxy(request: NextRequest): Response | undefined {
  // The raw path, before the framework decodes it (decoding a bad escape is what would fail).
  const rawPath = new URL(request.url).pathname;
  return guardClientApi(request.method, rawPath) ?? undefined;
}

/**
 * Every client API path but those of UNGUARDED_PATHS (client-api-guard.ts): running the proxy costs the framework
 * about as much as serving a small route, and those routes answer wrong methods themselves. Matchers must be
 * literals, so the list is spelled out here too; client-api-guard.test.ts checks the two agree.
 */
export const config = { matcher: ['/api/client/v1', '/api/client/v1/:path((?!automations$).*)'] };
