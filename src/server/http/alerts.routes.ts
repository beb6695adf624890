import { z } from 'zod';
import {
  acknowledgeInputSchema,
  createRuleInputSchema,
  incidentDetailSchema,
  incidentViewSchema,
  incidentsQuerySchema,
  ruleViewSchema,
  rulesQuerySchema,
  updateRuleInputSchema,
} from '../alerts/alerts.schemas';
import type { Container } from '../container';
import { tenantAccessOf } from '../tenants/tenant-access';
import type { RouteDoc } from './openapi';
import { type RestRequest, optionalJsonBody, parseQuery, restHandler } from './rest-handler';
import { json } from './responses';

const access = ({ principal }: RestRequest) => tenantAccessOf(principal);

/**
 * The client API's alert endpoints (docs/alerts.md): rules and incidents. Each is: authenticate (scope), parse with
 * the shared schema, call the alerts service, shape the answer. A tenant-restricted token sees its tenant only.
 * `getContainer` is injected so integration tests can run them against their own container.
 */
export function alertRoutes(getContainer: () => Promise<Container>) {
  return {
    listRules: restHandler(getContainer, 'alerts:read', async (req) => ({
      rules: await req.c.alerts.service.listRules(access(req), parseQuery(req.request, rulesQuerySchema)),
    })),

    createRule: restHandler(getContainer, 'alerts:write', async (req) => {
      const input = await optionalJsonBody(req.request, createRuleInputSchema);
      return json({ rule: await req.c.alerts.service.createRule(access(req), input, req.actor) }, 201);
    }),

    getRule: restHandler(getContainer, 'alerts:read', async (req) => ({
      rule: await req.c.alerts.service.getRule(access(req), req.params.id ?? ''),
    })),

    updateRule: restHandler(getContainer, 'alerts:write', async (req) => {
      const patch = await optionalJsonBody(req.request, updateRuleInputSchema);
      return { rule: await req.c.alerts.service.updateRule(access(req), req.params.id ?? '', patch, req.actor) };
    }),

    deleteRule: restHandler(getContainer, 'alerts:write', async (req) => ({
      rule: await req.c.alerts.service.deleteRule(access(req), req.params.id ?? '', req.actor),
    })),

    listIncidents: restHandler(getContainer, 'alerts:read', async (req) => ({
      incidents: await req.c.alerts.service.listIncidents(access(req), parseQuery(req.request, incidentsQuerySchema)),
    })),

    getIncident: restHandler(getContainer, 'alerts:read', async (req) => ({
      incident: await req.c.alerts.service.getIncident(access(req), req.params.id ?? ''),
    })),

    acknowledgeIncident: restHandler(getContainer, 'alerts:write', async (req) => {
      const input = await optionalJsonBody(req.request, acknowledgeInputSchema);
      return { incident: await req.c.alerts.service.acknowledge(access(req), req.params.id ?? '', input, req.actor) };
    }),
  };
}

const ID = { id: 'Rule or incident id.' };
const ruleBody = z.object({ rule: ruleViewSchema });
const incidentBody = z.object({ incident: incidentDetailSchema });
const HIDDEN = 'Not found, or of another tenant than the token is restricted to.';

/** The alert endpoints for the OpenAPI document and the client API guard (docs/alerts.md has the semantics). */
export const alertRouteDocs: RouteDoc[] = [
  {
    method: 'GET', path: '/alert-rules', tag: 'alerts', scope: 'alerts:read', summary: 'List alert rules', query: rulesQuerySchema,
    response: z.object({ rules: z.array(ruleViewSchema) }), errors: { 400: 'Invalid query.', 404: `Tenant: ${HIDDEN}` },
  },
  {
    method: 'POST', path: '/alert-rules', tag: 'alerts', scope: 'alerts:write', summary: 'Create an alert rule',
    description: 'A webhook channel without a secret gets one, returned once as channels[].generatedSecret.',
    body: createRuleInputSchema, status: 201, response: ruleBody, errors: { 400: 'Invalid body, refused channel URL, or serverId not of the tenant.', 404: `Tenant: ${HIDDEN}` },
  },
  { method: 'GET', path: '/alert-rules/{id}', tag: 'alerts', scope: 'alerts:read', summary: 'Get an alert rule', pathParams: ID, response: ruleBody, errors: { 404: HIDDEN } },
  {
    method: 'PATCH', path: '/alert-rules/{id}', tag: 'alerts', scope: 'alerts:write', summary: 'Change an alert rule',
    description: 'channels replaces the list; a channel with the same type and URL keeps its id and secret. Disabling resolves open incidents.',
    pathParams: ID, body: updateRuleInputSchema, response: ruleBody, errors: { 400: 'Invalid body.', 404: HIDDEN },
  },
  {
    method: 'DELETE', path: '/alert-rules/{id}', tag: 'alerts', scope: 'alerts:write', summary: 'Delete an alert rule (answers it as it was)',
    description: 'Open incidents resolve as rule-deleted without notifications; incident history stays.', pathParams: ID, response: ruleBody, errors: { 404: HIDDEN },
  },
  {
    method: 'GET', path: '/incidents', tag: 'alerts', scope: 'alerts:read', summary: 'List incidents, open first', query: incidentsQuerySchema,
    response: z.object({ incidents: z.array(incidentViewSchema) }), errors: { 400: 'Invalid query.', 404: `Tenant: ${HIDDEN}` },
  },
  { method: 'GET', path: '/incidents/{id}', tag: 'alerts', scope: 'alerts:read', summary: 'Get an incident with its timeline', pathParams: ID, response: incidentBody, errors: { 404: HIDDEN } },
  {
    method: 'POST', path: '/incidents/{id}/acknowledge', tag: 'alerts', scope: 'alerts:write', summary: 'Acknowledge an incident (stops reminders)',
    pathParams: ID, body: acknowledgeInputSchema, bodyRequired: false, response: incidentBody, errors: { 400: 'Invalid body.', 404: HIDDEN, 409: 'The incident is already resolved.' },
  },
];
