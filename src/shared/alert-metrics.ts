/**
 * The vocabulary of alert rules, as data. No server-only imports: the console's rule form reads these tables too.
 */

/**
 * Metrics a rule can watch: every numeric field of an inference sample, plus `up`. The key is the field name as
 * the samples endpoint returns it (`GET /inference-servers/:id/samples`); `column` is where `inference_samples`
 * keeps it. `up` is 1 or 0 here (the samples endpoint shows it as a boolean). Units are the samples' own, so a percentage
 * is a percentage (0–100): a KV-cache rule `> 90` fires at 91 %.
 */
export const METRICS = {
  up: { column: 'up', label: 'Up (1 = answering, 0 = down)', unit: '' },
  latencyMs: { column: 'latency_ms', label: 'Poll latency', unit: 'ms' },
  requestsRunning: { column: 'requests_running', label: 'Requests running', unit: '' },
  requestsWaiting: { column: 'requests_waiting', label: 'Requests waiting', unit: '' },
  kvCacheUsagePct: { column: 'kv_cache_usage_pct', label: 'KV-cache usage', unit: '%' },
  promptTokensPerSecond: { column: 'prompt_tokens_per_s', label: 'Prompt tokens per second', unit: 'tok/s' },
  generationTokensPerSecond: { column: 'generation_tokens_per_s', label: 'Generation tokens per second', unit: 'tok/s' },
  ttftMs: { column: 'ttft_ms', label: 'Time to first token', unit: 'ms' },
} as const satisfies Record<string, { column: string; label: string; unit: string }>;

export type MetricKey = keyof typeof METRICS;
export type MetricColumn = (typeof METRICS)[MetricKey]['column'];
export const METRIC_KEYS = Object.keys(METRICS) as [MetricKey, ...MetricKey[]];

export function metricOfColumn(column: string): MetricKey | null {
  for (const key of METRIC_KEYS) if (METRICS[key].column === column) return key;
  return null;
}

export const AGGREGATIONS = ['avg', 'max', 'min', 'last'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * What a rule does for a server with no usable sample in its window: `ok` counts as not breaching (an open
 * incident resolves), `alerting` counts as breaching (value null), `keep` leaves the incident state as it is.
 */
export const NO_DATA_MODES = ['ok', 'alerting', 'keep'] as const;
export type NoDataMode = (typeof NO_DATA_MODES)[number];

export const CHANNEL_TYPES = ['webhook', 'slack'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/**
 * How a webhook channel signs its deliveries (docs/alerts.md "Signatures"): `x-alert-signature`, the console's own
 * scheme and the default, or `standard-webhooks` (webhook-id / webhook-timestamp / webhook-signature, `whsec_`
 * secrets), which the Standard Webhooks receiver libraries verify as they are.
 */
export const SIGNATURE_SCHEMES = ['x-alert-signature', 'standard-webhooks'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];
export const DEFAULT_SIGNATURE_SCHEME: SignatureScheme = 'x-alert-signature';

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/**
 * Why an incident resolved: the condition cleared; there was no data and the rule says that is fine; its server
 * left the rule's scope (disabled, removed, or the scope changed); or its rule was disabled or deleted.
 */
export const RESOLUTIONS = ['cleared', 'no-data', 'out-of-scope', 'rule-disabled', 'rule-deleted'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export const EVENT_TYPES = ['fired', 'acknowledged', 'note', 'renotified', 'resolved'] as const;
export type IncidentEventType = (typeof EVENT_TYPES)[number];

/** The events that page people; the others are only recorded on the timeline. */
export type NotifiedEventType = Extract<IncidentEventType, 'fired' | 'renotified' | 'resolved'>;

export const DELIVERY_STATUSES = ['queued', 'in_flight', 'delivered', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
