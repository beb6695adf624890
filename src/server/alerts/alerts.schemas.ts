import 'server-only';
import { z } from 'zod';
import { pageQueryShape } from '../db/keyset-page';
import {
  AGGREGATIONS,
  CHANNEL_TYPES,
  DELIVERY_STATUSES,
  EVENT_TYPES,
  INCIDENT_STATUSES,
  METRIC_KEYS,
  NO_DATA_MODES,
  OPERATORS,
  RESOLUTIONS,
  SEVERITIES,
  SIGNATURE_SCHEMES,
  metricOfColumn,
} from '../../shared/alert-metrics';
import { standardSecretProblem } from './webhook-signature';

/**
 * Input and output shapes of the alerts surfaces, shared by REST and tRPC. Inputs are strict: an unknown field is
 * a 400 naming it, so a typo (`treshold`) never silently creates a rule with a default.
 */

/** An alert rule's, channel's or incident's id as a caller gives it (both surfaces parse ids with this). */
export const alertIdSchema = z.string().min(1).max(128);
const id = alertIdSchema;

/** Accepts the API's field names and, for convenience, the samples' column names (`kv_cache_usage_pct`). */
export const metricSchema = z.preprocess(
  (value) => (typeof value === 'string' ? (metricOfColumn(value) ?? value) : value),
  z.enum(METRIC_KEYS, { message: `metric must be one of ${METRIC_KEYS.join(', ')}` }),
);

export const channelInputSchema = z
  .object({
    type: z.enum(CHANNEL_TYPES),
    url: z.string().trim().min(1, 'url is required').max(2048, 'url must be at most 2048 characters'),
    /** HMAC-SHA256 key for webhook signatures; generated (and shown once) when a webhook channel has none. */
    secret: z.string().min(16, 'secret must be at least 16 characters').max(256, 'secret must be at most 256 characters').optional(),
    /**
     * How deliveries are signed (webhook channels only): `x-alert-signature` (the default for a new channel) or
     * `standard-webhooks`. Left out on a channel given again: it keeps its scheme. Changing it replaces the secret.
     */
    signatureScheme: z
      .enum(SIGNATURE_SCHEMES)
      .describe(
        'Webhook channels: how deliveries are signed. x-alert-signature (default) or standard-webhooks (webhook-id, webhook-timestamp, webhook-signature; whsec_ secret).',
      )
      .optional(),
  })
  .strict()
  .refine((c) => c.type === 'webhook' || c.secret === undefined, { message: 'secret applies to webhook channels only', path: ['secret'] })
  .refine((c) => c.type === 'webhook' || c.signatureScheme === undefined, {
    message: 'signatureScheme applies to webhook channels only',
    path: ['signatureScheme'],
  })
  .superRefine((c, ctx) => {
    const problem = c.signatureScheme === 'standard-webhooks' && c.secret !== undefined ? standardSecretProblem(c.secret) : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['secret'] });
  });
export type ChannelInput = z.infer<typeof channelInputSchema>;

const ruleFields = {
  name: z.string().trim().min(1, 'name is required').max(120, 'name must be at most 120 characters'),
  metric: metricSchema,
  aggregation: z.enum(AGGREGATIONS),
  operator: z.enum(OPERATORS),
  threshold: z.number().finite('threshold must be a finite number'),
  windowMinutes: z.number().int('windowMinutes must be a whole number').min(1, 'windowMinutes must be 1–1440').max(1440, 'windowMinutes must be 1–1440'),
  /** One server of the tenant, or null/absent for every server of the tenant (each evaluated on its own). */
  serverId: id.nullable(),
  severity: z.enum(SEVERITIES),
  noData: z.enum(NO_DATA_MODES),
  /** Minutes between re-notifications while an incident stays open and unacknowledged; 0 never re-notifies. */
  cooldownMinutes: z.number().int('cooldownMinutes must be a whole number').min(0).max(10_080, 'cooldownMinutes must be at most 10080 (a week)'),
  enabled: z.boolean(),
  channels: z.array(channelInputSchema).max(10, 'at most 10 channels per rule'),
};

export const RULE_DEFAULTS = {
  aggregation: 'avg',
  windowMinutes: 5,
  serverId: null,
  severity: 'warning',
  noData: 'keep',
  cooldownMinutes: 60,
  enabled: true,
} as const;

export const createRuleInputSchema = z
  .object({
    tenantId: id,
    name: ruleFields.name,
    metric: ruleFields.metric,
    aggregation: ruleFields.aggregation.default(RULE_DEFAULTS.aggregation),
    operator: ruleFields.operator,
    threshold: ruleFields.threshold,
    windowMinutes: ruleFields.windowMinutes.default(RULE_DEFAULTS.windowMinutes),
    serverId: ruleFields.serverId.default(RULE_DEFAULTS.serverId),
    severity: ruleFields.severity.default(RULE_DEFAULTS.severity),
    noData: ruleFields.noData.default(RULE_DEFAULTS.noData),
    cooldownMinutes: ruleFields.cooldownMinutes.default(RULE_DEFAULTS.cooldownMinutes),
    enabled: ruleFields.enabled.default(RULE_DEFAULTS.enabled),
    channels: ruleFields.channels,
  })
  .strict();
export type CreateRuleInput = z.infer<typeof createRuleInputSchema>;

/** Any subset of the rule's fields except its tenant; `channels` replaces the whole list. */
export const updateRuleInputSchema = z
  .object({
    name: ruleFields.name,
    metric: ruleFields.metric,
    aggregation: ruleFields.aggregation,
    operator: ruleFields.operator,
    threshold: ruleFields.threshold,
    windowMinutes: ruleFields.windowMinutes,
    serverId: ruleFields.serverId,
    severity: ruleFields.severity,
    noData: ruleFields.noData,
    cooldownMinutes: ruleFields.cooldownMinutes,
    enabled: ruleFields.enabled,
    channels: ruleFields.channels,
  })
  .partial()
  .strict();
export type UpdateRuleInput = z.infer<typeof updateRuleInputSchema>;

export const rulesQuerySchema = z.object({ tenantId: id.optional() }).strict();
export type RulesQuery = z.infer<typeof rulesQuerySchema>;
/** REST's GET /alert-rules: the filter and a page (docs/api.md "Pagination"). */
export const pageRulesQuerySchema = rulesQuerySchema.extend(pageQueryShape).strict();

/**
 * Rotate a webhook channel's secret: the new one (generated when left out; for a standard-webhooks channel it must be
 * a whsec_ secret) and how long the old one keeps signing.
 */
export const rotateSecretInputSchema = z
  .object({
    secret: z.string().min(16, 'secret must be at least 16 characters').max(256, 'secret must be at most 256 characters').optional(),
    /** Seconds during which deliveries carry the old secret's signature as well; 0 drops the old secret at once. */
    overlapSeconds: z
      .number()
      .int('overlapSeconds must be a whole number')
      .min(0)
      .max(7 * 86_400, 'overlapSeconds must be at most 604800 (a week)')
      .optional(),
  })
  .strict();
export type RotateSecretInput = z.infer<typeof rotateSecretInputSchema>;

export const channelViewSchema = z.object({
  id: z.string(),
  type: z.enum(CHANNEL_TYPES),
  /** Slack URLs are masked (`https://hooks.slack.com/services/T…/B…/****`): the URL is the credential. */
  url: z.string(),
  /** Whether deliveries are signed; the secret itself is never returned after it was set. */
  hasSecret: z.boolean(),
  /** How a webhook channel's deliveries are signed (docs/alerts.md "Signatures"); null for Slack channels. */
  signatureScheme: z.enum(SIGNATURE_SCHEMES).nullable().describe('How deliveries are signed; null for Slack channels.'),
  /** While a rotation's overlap lasts: when the previous secret stops signing deliveries; else null. */
  previousSecretExpiresAt: z.string().nullable(),
  /** Present only in the answer that generated it, once. */
  generatedSecret: z.string().optional(),
});
export type ChannelView = z.infer<typeof channelViewSchema>;

export const ruleViewSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  metric: z.enum(METRIC_KEYS),
  aggregation: z.enum(AGGREGATIONS),
  operator: z.enum(OPERATORS),
  threshold: z.number(),
  windowMinutes: z.number(),
  serverId: z.string().nullable(),
  severity: z.enum(SEVERITIES),
  noData: z.enum(NO_DATA_MODES),
  cooldownMinutes: z.number(),
  enabled: z.boolean(),
  channels: z.array(channelViewSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type RuleView = z.infer<typeof ruleViewSchema>;

export const incidentsQuerySchema = z
  .object({
    tenantId: id.optional(),
    status: z.enum(INCIDENT_STATUSES).optional(),
    limit: z.coerce.number().int().min(1, 'limit must be 1–500').max(500, 'limit must be 1–500').default(100),
  })
  .strict();
export type IncidentsQuery = z.infer<typeof incidentsQuerySchema>;
/** REST's GET /incidents: the filters and a page (`limit` as before, plus `cursor`). */
export const pageIncidentsQuerySchema = incidentsQuerySchema.extend(pageQueryShape).strict();

export const incidentViewSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  serverId: z.string(),
  serverName: z.string(),
  metric: z.enum(METRIC_KEYS),
  aggregation: z.enum(AGGREGATIONS),
  operator: z.enum(OPERATORS),
  threshold: z.number(),
  windowMinutes: z.number(),
  severity: z.enum(SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  /** The aggregated value when it fired (null when it fired for lack of data). */
  value: z.number().nullable(),
  /** The value at the newest evaluation (at resolution: the value that cleared it). */
  lastValue: z.number().nullable(),
  openedAt: z.string(),
  lastEvaluatedAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolution: z.enum(RESOLUTIONS).nullable(),
  notificationsSent: z.number(),
});
export type IncidentView = z.infer<typeof incidentViewSchema>;

export const deliveryViewSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  channelType: z.enum(CHANNEL_TYPES),
  url: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
});
export type DeliveryView = z.infer<typeof deliveryViewSchema>;

export const timelineEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  type: z.enum(EVENT_TYPES),
  actor: z.string(),
  value: z.number().nullable(),
  note: z.string().nullable(),
  deliveries: z.array(deliveryViewSchema),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const incidentDetailSchema = incidentViewSchema.extend({ timeline: z.array(timelineEntrySchema) });
export type IncidentDetail = z.infer<typeof incidentDetailSchema>;

const noteSchema = z.string().trim().min(1, 'note must not be empty').max(2000, 'note must be at most 2000 characters');

export const acknowledgeInputSchema = z.object({ note: noteSchema.optional() }).strict();
export type AcknowledgeInput = z.infer<typeof acknowledgeInputSchema>;

export const noteInputSchema = z.object({ note: noteSchema }).strict();

/** A rule as it would be saved, to see its current value per server before saving it. */
export const previewInputSchema = z
  .object({
    tenantId: id,
    metric: ruleFields.metric,
    aggregation: ruleFields.aggregation.default(RULE_DEFAULTS.aggregation),
    operator: ruleFields.operator,
    threshold: ruleFields.threshold,
    windowMinutes: ruleFields.windowMinutes.default(RULE_DEFAULTS.windowMinutes),
    serverId: ruleFields.serverId.default(RULE_DEFAULTS.serverId),
    noData: ruleFields.noData.default(RULE_DEFAULTS.noData),
  })
  .strict();
export type PreviewInput = z.infer<typeof previewInputSchema>;

export const previewViewSchema = z.object({
  windowStart: z.string(),
  windowEnd: z.string(),
  servers: z.array(
    z.object({
      serverId: z.string(),
      serverName: z.string(),
      samples: z.number(),
      value: z.number().nullable(),
      /** `breaching` would open an incident; `no-data` behaves as the rule's noData mode says. */
      outcome: z.enum(['breaching', 'ok', 'no-data']),
      wouldAlert: z.boolean(),
    }),
  ),
});
export type PreviewView = z.infer<typeof previewViewSchema>;

export const openCountViewSchema = z.object({ open: z.number(), acknowledged: z.number() });

export const targetsViewSchema = z.array(
  z.object({
    tenantId: z.string(),
    tenantName: z.string(),
    servers: z.array(z.object({ id: z.string(), name: z.string(), enabled: z.boolean() })),
  }),
);
export type TargetsView = z.infer<typeof targetsViewSchema>;
