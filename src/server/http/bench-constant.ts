import 'server-only';
import { getContainer } from '../container';

/** Largest body the baseline route pads to; the automations list is a few KiB. */
const MAX_BYTES = 1024 * 1024;
const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const bodies = new Map<number, string>();
let enabled: boolean | null = null;

/**
 * The benchmarks' baseline (bench/, docs/performance.md): the cheapest JSON answer a Next.js route handler of
 * this build can give — no authentication, no database, no view — padded to `?bytes=` so it matches the size of
 * the response it is compared with. It sits outside /api/client/v1, so it pays neither the client API's proxy
 * nor its auth: everything the real read path does beyond "be a route handler" counts against the read path.
 * Served only with BENCH_ROUTES=on; otherwise 404 as any unknown path.
 */
export async function benchConstantResponse(request: Request): Promise<Response> {
  enabled ??= (await getContainer()).config.BENCH_ROUTES === 'on';
  if (!enabled) return new Response(JSON.stringify({ error: 'Not found', code: 'NOT_FOUND' }), { status: 404, headers: HEADERS });
  const query = request.url.indexOf('bytes=');
  const requested = query < 0 ? 4096 : Number.parseInt(request.url.slice(query + 6), 10);
  const bytes = Number.isFinite(requested) ? Math.min(Math.max(requested, 16), MAX_BYTES) : 4096;
  let body = bodies.get(bytes);
  if (body === undefined) {
    // {"padding":"xxx…"} is 14 bytes of frame around the padding.
    body = JSON.stringify({ padding: 'x'.repeat(bytes - 14) });
    if (bodies.size < 64) bodies.set(bytes, body);
  }
  return new Response(body, { status: 200, headers: HEADERS });
}
