import { getContainer } from '@/server/container';
import { metricsRoute } from '@/server/http/metrics.routes';

export const dynamic = 'force-dynamic';
export const GET = metricsRoute(getContainer);
