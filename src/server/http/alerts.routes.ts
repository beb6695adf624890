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
import type { RouteDoc } from './openapi';
import { withApiToken } from './api-token-gate';
import { optionalJsonBody, parseQuery } from './request-input';
import { created } from './responses';

/**
 * The client API's alert endpoints (docs/alerts.md): rules and incidents. Each is: authenticate (scope), parse with
 * the shared schema, call the alerts service, shape the answer. A tenant-restricted token sees its tenant only.
 * `getContainer` is injected so integration tests can run them against their own container.
 */
export function alertRoutes(getContainer: () => Promise<Container>) {
  return {
    listRules: withApiToken(getContainer, 'alerts:read', async (req) => {
      const { limit, cursor, ...query } = parseQuery(req.request, pageRulesQuerySchema);
      const page = await req.container.alerts.service.listRulesPage(req.caller, query, { limit, cursor });
      return { rules: page.items, nextCursor: page.nextCursor };
    }),

    createRule: withApiToken(getContainer, 'alerts:write', async (req) => {
      const input = await optionalJsonBody(req.request, createRuleInputSchema);
      const rule = await req.container.alerts.service.createRule(req.caller, input);
      return created({ rule }, `/api/client/v1/alert-rules/${encodeURIComponent(rule.id)}`);
    }),

    getRule: withApiToken(getContainer, 'alerts:read', async (req) => ({
      rule: await req.container.alerts.service.getRule(req.caller, req.params.id ?? ''),
    })),

    updateRule: withApiToken(getContainer, 'alerts:write', async (req) => {
      const patch = await optionalJsonBody(req.request, updateRuleInputSchema);
      return { rule: await req.container.alerts.service.updateRule(req.caller, req.params.id ?? '', patch) };
    }),

    deleteRule: withApiToken(getContainer, 'alerts:write', async (req) => ({
      rule: await req.container.alerts.service.deleteRule(req.caller, req.params.id ?? ''),
    })),

    rotateChannelSecret: withApiToken(getContainer, 'alerts:write', async (req) => {
      const input = await optionalJsonBody(req.request, rotateSecretInputSchema);
      return { rule: await req.container.alerts.service.rotateChannelSecret(req.caller, req.params.id ?? '', req.params.channelId ?? '', input) };
    }),

    listIncidents: withApiToken(getContainer, 'alerts:read', async (req) => {
      const { limit, cursor, ...query } = parseQuery(req.request, pageIncidentsQuerySchema);
      const page = await req.container.alerts.service.listIncidentsPage(req.caller, query, { limit, cursor });
      return { incidents: page.items, nextCursor: page.nextCursor };
    }),

    getIncident: withApiToken(getContainer, 'alerts:read', async (req) => ({
      incident: await req.container.alerts.service.getIncident(req.caller, req.params.id ?? ''),
    })),

    acknowledgeIncident: withApiToken(getContainer, 'alerts:write', async (req) => {
      const input = await optionalJsonBody(req.request, acknowledgeInputSchema);
      return { incident: await req.container.alerts.service.acknowledge(req.caller, req.params.id ?? '', input) };
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
    method: 'GET',
    path: '/alert-rules',
    operationId: 'listAlertRules',
    tag: 'alerts',
    scope: 'alerts:read',
    summary: 'List alert rules, a page at a time (by tenant, name, id)',
    description: PAGE_DOC,
    query: pageRulesQuerySchema,
    response: z.object({ rules: z.array(ruleViewSchema), nextCursor: z.string().nullable() }),
    errors: { 400: 'Invalid query, limit or cursor.', 404: `Tenant: ${HIDDEN}` },
  },
  {
    method: 'POST',
    path: '/alert-rules',
    operationId: 'createAlertRule',
    tag: 'alerts',
    scope: 'alerts:write',
    summary: 'Create an alert rule',
    description:
      'A webhook channel without a secret gets one, returned once as channels[].generatedSecret. channels[].signatureScheme picks how deliveries are signed: x-alert-signature (default) or standard-webhooks (webhook-id, webhook-timestamp, webhook-signature; whsec_ secrets). Secrets are stored encrypted; Slack URLs are masked in every answer.',
    body: createRuleInputSchema,
    status: 201,
    response: ruleBody,
    errors: {
      400: 'Invalid body, refused channel URL, or serverId not of the tenant.',
      404: `Tenant: ${HIDDEN}`,
      409: 'QUOTA_EXCEEDED: the tenant has TENANT_MAX_ALERT_RULES rules or would exceed TENANT_MAX_NOTIFICATION_CHANNELS channels.',
    },
  },
  {
    method: 'GET',
    path: '/alert-rules/{id}',
    operationId: 'getAlertRule',
    tag: 'alerts',
    scope: 'alerts:read',
    summary: 'Get an alert rule',
    pathParams: ID,
    response: ruleBody,
    errors: { 404: HIDDEN },
  },
  {
    method: 'PATCH',
    path: '/alert-rules/{id}',
    operationId: 'updateAlertRule',
    tag: 'alerts',
    scope: 'alerts:write',
    summary: 'Change an alert rule',
    description:
      "channels replaces the list; a channel with the same type and URL (for Slack: or the masked URL of its view) keeps its id, secret and signatureScheme (unless given). Changing a channel's signatureScheme replaces its secret (generated and returned once when none is given). Disabling resolves open incidents.",
    pathParams: ID,
    body: updateRuleInputSchema,
    response: ruleBody,
    errors: { 400: 'Invalid body.', 404: HIDDEN, 409: 'QUOTA_EXCEEDED: the tenant would exceed TENANT_MAX_NOTIFICATION_CHANNELS channels.' },
  },
  {
    method: 'DELETE',
    path: '/alert-rules/{id}',
    operationId: 'deleteAlertRule',
    tag: 'alerts',
    scope: 'alerts:write',
    summary: 'Delete an alert rule (answers it as it was)',
    description: 'Open incidents resolve as rule-deleted without notifications; incident history stays.',
    pathParams: ID,
    response: ruleBody,
    errors: { 404: HIDDEN },
  },
  {
    method: 'POST',
    path: '/alert-rules/{id}/channels/{channelId}/rotate-secret',
    operationId: 'rotateChannelSecret',
    tag: 'alerts',
    scope: 'alerts:write',
    summary: "Rotate a webhook channel's secret",
    description:
      'Sets the new secret (generated and returned once as generatedSecret when left out; a whsec_ secret for a standard-webhooks channel) and keeps the old one for overlapSeconds (default 86400): meanwhile every delivery carries both signatures, the new one first (X-Alert-Signature: comma-separated; webhook-signature: space-separated).',
    pathParams: { id: 'The rule id.', channelId: 'The webhook channel id.' },
    body: rotateSecretInputSchema,
    bodyRequired: false,
    response: ruleBody,
    errors: { 400: "Invalid body, a secret not of the channel's scheme, or the channel is not a webhook.", 404: HIDDEN },
  },
  {
    method: 'GET',
    path: '/incidents',
    operationId: 'listIncidents',
    tag: 'alerts',
    scope: 'alerts:read',
    summary: 'List incidents, open first, a page at a time',
    description: PAGE_DOC,
    query: pageIncidentsQuerySchema,
    response: z.object({ incidents: z.array(incidentViewSchema), nextCursor: z.string().nullable() }),
    errors: { 400: 'Invalid query, limit or cursor.', 404: `Tenant: ${HIDDEN}` },
  },
  {
    method: 'GET',
    path: '/incidents/{id}',
    operationId: 'getIncident',
    tag: 'alerts',
    scope: 'alerts:read',
    summary: 'Get an incident with its timeline',
    pathParams: ID,
    response: incidentBody,
    errors: { 404: HIDDEN },
  },
  {
    method: 'POST',
    path: '/incidents/{id}/acknowledge',
    operationId: 'acknowledgeIncident',
    tag: 'alerts',
    scope: 'alerts:write',
    summary: 'Acknowledge an incident (stops reminders)',
    pathParams: ID,
    body: acknowledgeInputSchema,
    bodyRequired: false,
    response: incidentBody,
    errors: { 400: 'Invalid body.', 404: HIDDEN, 409: 'The incident is already resolved.' },
  },
];
