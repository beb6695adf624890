import 'server-only';
import { z } from 'zod';
import type { Container } from '../container';
import {
  createServerInputSchema,
  pageServersQuerySchema,
  sampleViewSchema,
  samplesQuerySchema,
  serverViewSchema,
  updateServerInputSchema,
} from '../inference/inference.schemas';
import { PAGE_DOC } from '../db/keyset-page';
import type { RouteDoc } from './openapi';
import { withApiToken } from './api-token-gate';
import { optionalJsonBody, parseQuery } from './request-input';
import { created } from './responses';

/** `/inference-servers` of the client API (docs/inference.md). Scopes `inference:read` / `inference:write`. */
export function inferenceRoutes(getContainer: () => Promise<Container>) {
  return {
    list: withApiToken(getContainer, 'inference:read', async ({ container, caller, request }) => {
      const { limit, cursor, ...filter } = parseQuery(request, pageServersQuerySchema);
      const page = await container.inference.servers.listPage(caller, filter, { limit, cursor });
      return { servers: page.items, nextCursor: page.nextCursor };
    }),

    create: withApiToken(getContainer, 'inference:write', async ({ container, caller, request }) => {
      const input = await optionalJsonBody(request, createServerInputSchema);
      const server = await container.inference.servers.create(caller, input);
      return created({ server }, `/api/client/v1/inference-servers/${encodeURIComponent(server.id)}`);
    }),

    get: withApiToken(getContainer, 'inference:read', async ({ container, caller, params }) => ({
      server: await container.inference.servers.get(caller, params.id ?? ''),
    })),

    update: withApiToken(getContainer, 'inference:write', async ({ container, caller, params, request }) => {
      const input = await optionalJsonBody(request, updateServerInputSchema);
      return { server: await container.inference.servers.update(caller, params.id ?? '', input) };
    }),

    delete: withApiToken(getContainer, 'inference:write', async ({ container, caller, params }) => ({
      server: await container.inference.servers.delete(caller, params.id ?? ''),
    })),

    samples: withApiToken(getContainer, 'inference:read', async ({ container, caller, params, request }) => ({
      samples: await container.inference.servers.samples(caller, params.id ?? '', parseQuery(request, samplesQuerySchema)),
    })),
  };
}

const ID = { id: 'An inference server id.' };
const serverBody = z.object({ server: serverViewSchema });
const RESTRICTED = 'Not found, or not visible to a token restricted to another tenant.';

/** The OpenAPI description of the routes above, from the same schemas. */
export const inferenceRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/inference-servers',
    operationId: 'listInferenceServers',
    tag: 'inference',
    scope: 'inference:read',
    summary: 'List inference servers, a page at a time (by tenant, then name)',
    description: PAGE_DOC,
    query: pageServersQuerySchema,
    response: z.object({ servers: z.array(serverViewSchema), nextCursor: z.string().nullable() }),
    errors: {
      400: 'Invalid query: limit out of 1–500, or a cursor this list did not return.',
      404: 'Tenant (tenantId): not found, or not visible to a token restricted to another tenant.',
    },
  },
  {
    method: 'POST',
    path: '/inference-servers',
    operationId: 'createInferenceServer',
    tag: 'inference',
    scope: 'inference:write',
    summary: 'Register an inference server',
    description: 'The API key is stored encrypted and never returned; views say `hasApiKey`.',
    body: createServerInputSchema,
    status: 201,
    response: serverBody,
    errors: {
      400: 'Invalid body, a base URL the outbound policy refuses, or a poll interval below TENANT_MIN_POLL_INTERVAL_SECONDS for a tenant-restricted token.',
      404: 'Tenant not found.',
      409: 'A server of that name exists in the tenant (CONFLICT), or the tenant has TENANT_MAX_INFERENCE_SERVERS servers (QUOTA_EXCEEDED).',
    },
  },
  {
    method: 'GET',
    path: '/inference-servers/{id}',
    operationId: 'getInferenceServer',
    tag: 'inference',
    scope: 'inference:read',
    summary: 'Get an inference server',
    pathParams: ID,
    response: serverBody,
    errors: { 404: RESTRICTED },
  },
  {
    method: 'PATCH',
    path: '/inference-servers/{id}',
    operationId: 'updateInferenceServer',
    tag: 'inference',
    scope: 'inference:write',
    summary: 'Change an inference server',
    pathParams: ID,
    body: updateServerInputSchema,
    response: serverBody,
    errors: { 400: 'Invalid body.', 404: RESTRICTED, 409: 'A server of that name exists in the tenant.' },
  },
  {
    method: 'DELETE',
    path: '/inference-servers/{id}',
    operationId: 'deleteInferenceServer',
    tag: 'inference',
    scope: 'inference:write',
    summary: 'Delete an inference server and its samples',
    pathParams: ID,
    response: serverBody,
    errors: { 404: RESTRICTED },
  },
  {
    method: 'GET',
    path: '/inference-servers/{id}/samples',
    operationId: 'listInferenceServerSamples',
    tag: 'inference',
    scope: 'inference:read',
    summary: 'Samples of one server, newest first',
    pathParams: ID,
    query: samplesQuerySchema,
    response: z.object({ samples: z.array(sampleViewSchema) }),
    errors: { 400: 'Invalid query.', 404: RESTRICTED },
  },
];
