import 'server-only';
import { z } from 'zod';
import {
  acknowledgeInputSchema,
  createRuleInputSchema,
  incidentDetailSchema,
  incidentViewSchema,
  pageIncidentsQuerySchema,
  pageRulesQuerySchema,
  rotateSecretInputSchema,
  ruleViewSchema,
  updateRuleInputSchema,
} from '../alerts/alerts.schemas';
import type { Container } from '../container';
import { PAGE_DOC } from '../db/keyset-page';
import { tenantAccessOf } from '../tenants/tenant-access';
import type { RouteDoc } from './openapi';
import { type RestRequest, withApiToken } from './api-token-gate';
import { optionalJsonBody, parseQuery } from './request-input';
import { created } from './responses';

const access = ({ caller }: RestRequest) => tenantAccessOf(caller);

/**
 * The client API's alert endpoints (docs/alerts.md): rules and incidents. Each is: authenticate (scope), parse with
 * the shared schema, call the alerts service, shape the answer. A tenant-restricted token sees its tenant only.
 * `getContainer` is injected so integration tests can run them against their own container.
 */
export function alertRoutes(getContainer: () => Promise<Container>) {
  return {
    listRules: withApiToken(getContainer, 'alerts:read', async (req) => {
      const { limit, cursor, ...query } = parseQuery(req.request, pageRulesQuerySchema);
      const page = await req.container.alerts.service.listRulesPage(access(req), query, { limit, cursor });
      return { rules: page.items, nextCursor: page.nextCursor };
    }),

    createRule: withApiToken(getContainer, 'alerts:write', async (req) => {
      const input = await optionalJsonBody(req.request, createRuleInputSchema);
      const rule = await req.container.alerts.service.createRule(access(req), input, req.caller.label);
      return created({ rule }, `/api/client/v1/alert-rules/${encodeURIComponent(rule.id)}`);
    }),

    getRule: withApiToken(getContainer, 'alerts:read', async (req) => ({
      rule: await req.container.alerts.service.getRule(access(req), req.params.id ?? ''),
    })),

    updateRule: withApiToken(getContainer, 'alerts:write', async (req) => {
      const patch = await optionalJsonBody(req.request, updateRuleInputSchema);
      return { rule: await req.container.alerts.service.updateRule(access(req), req.params.id ?? '', patch, req.caller.label) };
    }),

    deleteRule: withApiToken(getContainer, 'alerts:write', async (req) => ({
      rule: await req.container.alerts.service.deleteRule(access(req), req.params.id ?? '', req.caller.label),
    })),

    rotateChannelSecret: withApiToken(getContainer, 'alerts:write', async (req) => {
      const input = await optionalJsonBody(req.request, rotateSecretInputSchema);
      return { rule: await req.container.alerts.service.rotateChannelSecret(access(req), req.params.id ?? '', req.params.channelId ?? '', input, req.caller.label) };
    }),

    listIncidents: withApiToken(getContainer, 'alerts:read', async (req) => {
      const { limit, cursor, ...query } = parseQuery(req.request, pageIncidentsQuerySchema);
      const page = await req.container.alerts.service.listIncidentsPage(access(req), query, { limit, cursor });
      return { incidents: page.items, nextCursor: page.nextCursor };
    }),

    getIncident: withApiToken(getContainer, 'alerts:read', async (req) => ({
      incident: await req.container.alerts.service.getIncident(access(req), req.params.id ?? ''),
    })),

    acknowledgeIncident: withApiToken(getContainer, 'alerts:write', async (req) => {
      const input = await optionalJsonBody(req.request, acknowledgeInputSchema);
      return { incident: await req.container.alerts.service.acknowledge(access(req), req.params.id ?? '', input, req.caller.label) };
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
    method: 'GET', path: '/alert-rules', operationId: 'listAlertRules', tag: 'alerts', scope: 'alerts:read', summary: 'List alert rules, a page at a time (by tenant, name, id)', description: PAGE_DOC,
    query: pageRulesQuerySchema, response: z.object({ rules: z.array(ruleViewSchema), nextCursor: z.string().nullable() }), errors: { 400: 'Invalid query, limit or cursor.', 404: `Tenant: ${HIDDEN}` },
  },
  {
    method: 'POST', path: '/alert-rules', operationId: 'createAlertRule', tag: 'alerts', scope: 'alerts:write', summary: 'Create an alert rule',
    description: 'A webhook channel without a secret gets one, returned once as channels[].generatedSecret. Secrets are stored encrypted; Slack URLs are masked in every answer.',
    body: createRuleInputSchema, status: 201, response: ruleBody,
    errors: { 400: 'Invalid body, refused channel URL, or serverId not of the tenant.', 404: `Tenant: ${HIDDEN}`, 409: 'QUOTA_EXCEEDED: the tenant has TENANT_MAX_ALERT_RULES rules or would exceed TENANT_MAX_NOTIFICATION_CHANNELS channels.' },
  },
  { method: 'GET', path: '/alert-rules/{id}', operationId: 'getAlertRule', tag: 'alerts', scope: 'alerts:read', summary: 'Get an alert rule', pathParams: ID, response: ruleBody, errors: { 404: HIDDEN } },
  {
    method: 'PATCH', path: '/alert-rules/{id}', operationId: 'updateAlertRule', tag: 'alerts', scope: 'alerts:write', summary: 'Change an alert rule',
    description: 'channels replaces the list; a channel with the same type and URL (for Slack: or the masked URL of its view) keeps its id and secret. Disabling resolves open incidents.',
    pathParams: ID, body: updateRuleInputSchema, response: ruleBody, errors: { 400: 'Invalid body.', 404: HIDDEN, 409: 'QUOTA_EXCEEDED: the tenant would exceed TENANT_MAX_NOTIFICATION_CHANNELS channels.' },
  },
  {
    method: 'DELETE', path: '/alert-rules/{id}', operationId: 'deleteAlertRule', tag: 'alerts', scope: 'alerts:write', summary: 'Delete an alert rule (answers it as it was)',
    description: 'Open incidents resolve as rule-deleted without notifications; incident history stays.', pathParams: ID, response: ruleBody, errors: { 404: HIDDEN },
  },
  {
    method: 'POST', path: '/alert-rules/{id}/channels/{channelId}/rotate-secret', operationId: 'rotateChannelSecret', tag: 'alerts', scope: 'alerts:write', summary: "Rotate a webhook channel's secret",
    description:
      'Sets the new secret (generated and returned once as generatedSecret when left out) and keeps the old one for overlapSeconds (default 86400): meanwhile every delivery carries both signatures in X-Alert-Signature, the new one first.',
    pathParams: { id: 'The rule id.', channelId: 'The webhook channel id.' }, body: rotateSecretInputSchema, bodyRequired: false, response: ruleBody,
    errors: { 400: 'Invalid body, or the channel is not a webhook.', 404: HIDDEN },
  },
  {
    method: 'GET', path: '/incidents', operationId: 'listIncidents', tag: 'alerts', scope: 'alerts:read', summary: 'List incidents, open first, a page at a time', description: PAGE_DOC, query: pageIncidentsQuerySchema,
    response: z.object({ incidents: z.array(incidentViewSchema), nextCursor: z.string().nullable() }), errors: { 400: 'Invalid query, limit or cursor.', 404: `Tenant: ${HIDDEN}` },
  },
  { method: 'GET', path: '/incidents/{id}', operationId: 'getIncident', tag: 'alerts', scope: 'alerts:read', summary: 'Get an incident with its timeline', pathParams: ID, response: incidentBody, errors: { 404: HIDDEN } },
  {
    method: 'POST', path: '/incidents/{id}/acknowledge', operationId: 'acknowledgeIncident', tag: 'alerts', scope: 'alerts:write', summary: 'Acknowledge an incident (stops reminders)',
    pathParams: ID, body: acknowledgeInputSchema, bodyRequired: false, response: incidentBody, errors: { 400: 'Invalid body.', 404: HIDDEN, 409: 'The incident is already resolved.' },
  },
];
