import 'server-only';
import type { Container } from '../container';
import { withApiToken } from './api-token-gate';

/** GET /metrics: Prometheus exposition of this instance, for tokens with `metrics:read`. */
export function metricsRoute(getContainer: () => Promise<Container>) {
  return withApiToken(getContainer, 'metrics:read', async ({ container }) => {
    const { contentType, body } = await container.metrics.exposition();
    return new Response(body, { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
  });
}
