import 'server-only';
import { z } from 'zod';
import type { Container } from '../container';
import { createTenantInputSchema, pageTenantsQuerySchema, tenantViewSchema, updateTenantInputSchema } from '../tenants/tenants.schemas';
import { PAGE_DOC } from '../db/keyset-page';
import type { RouteDoc } from './openapi';
import { withApiToken } from './api-token-gate';
import { optionalJsonBody, parseQuery } from './request-input';
import { created } from './responses';

/**
 * `/tenants` of the client API (docs/inference.md). Scopes `inference:read` / `inference:write`; a token restricted
 * to one tenant sees only that tenant (others are 404) and cannot create or delete tenants.
 */
export function tenantRoutes(getContainer: () => Promise<Container>) {
  return {
    list: withApiToken(getContainer, 'inference:read', async ({ container, caller, request }) => {
      const page = await container.tenants.service.listPage(caller, parseQuery(request, pageTenantsQuerySchema));
      return { tenants: page.items, nextCursor: page.nextCursor };
    }),

    create: withApiToken(getContainer, 'inference:write', async ({ container, caller, request }) => {
      const input = await optionalJsonBody(request, createTenantInputSchema);
      const tenant = await container.tenants.service.create(caller, input);
      return created({ tenant }, `/api/client/v1/tenants/${encodeURIComponent(tenant.id)}`);
    }),

    get: withApiToken(getContainer, 'inference:read', async ({ container, caller, params }) => ({
      tenant: await container.tenants.service.get(caller, params.id ?? ''),
    })),

    update: withApiToken(getContainer, 'inference:write', async ({ container, caller, params, request }) => {
      const input = await optionalJsonBody(request, updateTenantInputSchema);
      return { tenant: await container.tenants.service.update(caller, params.id ?? '', input) };
    }),

    delete: withApiToken(getContainer, 'inference:write', async ({ container, caller, params }) => ({
      tenant: await container.tenants.service.delete(caller, params.id ?? ''),
    })),
  };
}

const ID = { id: 'A tenant id.' };
const tenantBody = z.object({ tenant: tenantViewSchema });
const RESTRICTED = 'Not found, or not visible to a token restricted to another tenant.';

/** The OpenAPI description of the routes above, from the same schemas. */
export const tenantRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/tenants',
    operationId: 'listTenants',
    tag: 'tenants',
    scope: 'inference:read',
    summary: 'List tenants, by name, a page at a time',
    description: PAGE_DOC,
    query: pageTenantsQuerySchema,
    response: z.object({ tenants: z.array(tenantViewSchema), nextCursor: z.string().nullable() }),
    errors: { 400: 'Invalid limit or cursor.' },
  },
  {
    method: 'POST',
    path: '/tenants',
    operationId: 'createTenant',
    tag: 'tenants',
    scope: 'inference:write',
    summary: 'Create a tenant',
    body: createTenantInputSchema,
    status: 201,
    response: tenantBody,
    errors: { 400: 'Invalid body.', 409: 'The slug is taken.' },
  },
  {
    method: 'GET',
    path: '/tenants/{id}',
    operationId: 'getTenant',
    tag: 'tenants',
    scope: 'inference:read',
    summary: 'Get a tenant',
    pathParams: ID,
    response: tenantBody,
    errors: { 404: RESTRICTED },
  },
  {
    method: 'PATCH',
    path: '/tenants/{id}',
    operationId: 'updateTenant',
    tag: 'tenants',
    scope: 'inference:write',
    summary: 'Rename a tenant (name and/or slug)',
    pathParams: ID,
    body: updateTenantInputSchema,
    response: tenantBody,
    errors: { 400: 'Invalid body.', 404: RESTRICTED, 409: 'The slug is taken.' },
  },
  {
    method: 'DELETE',
    path: '/tenants/{id}',
    operationId: 'deleteTenant',
    tag: 'tenants',
    scope: 'inference:write',
    summary: 'Delete a tenant that owns nothing',
    pathParams: ID,
    response: tenantBody,
    errors: { 404: RESTRICTED, 409: 'The tenant still owns servers, rules or sessions; the message lists them.' },
  },
];
