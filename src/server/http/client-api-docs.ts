import 'server-only';
import { APP_VERSION } from '../version';
import { alertRouteDocs } from './alerts.routes';
import { automationRouteDocs } from './automations.routes';
import { browserRouteDocs } from './browser.routes';
import { inferenceRouteDocs } from './inference.routes';
import { buildOpenApi, type RouteDoc } from './openapi';
import { tenantRouteDocs } from './tenants.routes';

/** Every documented client API route; each domain's routes file exports its docs and is listed here. */
export const CLIENT_API_ROUTES: RouteDoc[] = [...automationRouteDocs, ...tenantRouteDocs, ...inferenceRouteDocs, ...alertRouteDocs, ...browserRouteDocs];

let cached: Record<string, unknown> | null = null;

/** GET /api/client/v1/openapi.json — public: it describes the API and holds nothing secret. */
export async function openApiResponse(): Promise<Response> {
  cached ??= buildOpenApi(CLIENT_API_ROUTES, APP_VERSION);
  return new Response(JSON.stringify(cached), { headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' } });
}
