import { json } from '@/server/http/responses';

export const dynamic = 'force-dynamic';

/** Unknown client API paths answer JSON, not the console's HTML 404 page. */
function notFound(request: Request): Response {
  return json({ error: `No such endpoint: ${request.method} ${new URL(request.url).pathname}`, code: 'NOT_FOUND' }, 404);
}

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
