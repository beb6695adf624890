import type { NextRequest } from 'next/server';
import { guardClientApi } from './server/http/client-api-guard';

/** Runs before routing for the client API only: malformed paths and wrong methods get JSON answers. */
export function proxy(request: NextRequest): Response | undefined {
  // The raw path, before the framework decodes it (decoding a bad escape is what would fail).
  const rawPath = new URL(request.url).pathname;
  return guardClientApi(request.method, rawPath) ?? undefined;
}

export const config = { matcher: '/api/client/v1/:path*' };
