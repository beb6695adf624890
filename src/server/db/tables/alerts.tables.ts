import 'server-only';
import type { Generated } from 'kysely';
import type { OutboundReach } from '../../net/outbound.config';
import type {
  Aggregation,
  ChannelType,
  DeliveryStatus,
  IncidentEventType,
  IncidentStatus,
  MetricColumn,
  NoDataMode,
  NotifiedEventType,
  Operator,
  Resolution,
  Severity,
  SignatureScheme,
} from '../../../shared/alert-metrics';

export interface AlertTables {
  alert_rules: AlertRuleTable;
  alert_channels: AlertChannelTable;
  incidents: IncidentTable;
  incident_events: IncidentEventTable;
  notification_outbox: NotificationOutboxTable;
  revisions: RevisionTable;
}

/** Counters the database bumps by trigger when a table changes (`alert_rules` only, so far). */
export interface RevisionTable {
  name: 'alert_rules';
  value: number;
}

export interface AlertRuleTable {
  id: string;
  tenant_id: string;
  name: string;
  /** The sample column watched (`kv_cache_usage_pct`); the API names it in camelCase. */
  metric: MetricColumn;
  aggregation: Aggregation;
  operator: Operator;
  threshold: number;
  window_minutes: number;
  /** One server of the tenant, or null for all of the tenant's enabled servers. */
  server_id: string | null;
  severity: Severity;
  no_data: NoDataMode;
  cooldown_minutes: number;
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** Where a rule's notifications go. Deleted with the rule; deliveries still queued for it are cancelled. */
export interface AlertChannelTable {
  id: string;
  rule_id: string;
  tenant_id: string;
  type: ChannelType;
  url: string;
  /** Who set the URL: what deliveries to it may reach (net/outbound.config.ts). A URL never changes in place. */
  reach: OutboundReach;
  /**
   * Legacy: the HMAC key in clear, as stored before migration 0010. Boot seals it into `secret_enc` and empties it;
   * it is only read while that has not happened (no CONSOLE_SECRET on PostgreSQL). Never returned by any surface.
   */
  secret: string | null;
  /** The HMAC key of a webhook channel, sealed with the console's cipher (bound to the channel id). */
  secret_enc: string | null;
  /** The key before the last rotation, sealed likewise; deliveries carry its signature too until the overlap ends. */
  previous_secret_enc: string | null;
  previous_secret_expires_at: number | null;
  /** How deliveries are signed (migration 0012); rows from before it sign as they did, `x-alert-signature`. */
  signature_scheme: Generated<SignatureScheme>;
  position: number;
  created_at: number;
}

/**
 * One breach of one rule on one server, from fired to resolved. At most one unresolved incident per (rule, server):
 * a partial unique index over `resolved_at IS NULL` enforces it, so concurrent evaluations cannot open two.
 * Rule and server names and the condition are copied in, so history reads right after the rule changes or goes.
 */
export interface IncidentTable {
  id: string;
  tenant_id: string;
  rule_id: string;
  server_id: string;
  rule_name: string;
  server_name: string;
  metric: MetricColumn;
  aggregation: Aggregation;
  operator: Operator;
  threshold: number;
  window_minutes: number;
  severity: Severity;
  status: IncidentStatus;
  value: number | null;
  last_value: number | null;
  opened_at: number;
  last_evaluated_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolution: Resolution | null;
  /** When the last fired/renotified notification was queued; the cooldown counts from here. */
  last_notified_at: number;
  /** Re-notifications so far; the next one is `renotified:<n+1>`, which makes it unique per incident. */
  renotify_count: number;
}

/** The incident's timeline. `dedup_key` (fired, resolved, renotified:<n>) is unique per incident; notes have none. */
export interface IncidentEventTable {
  id: string;
  incident_id: string;
  tenant_id: string;
  at: number;
  type: IncidentEventType;
  actor: string;
  value: number | null;
  note: string | null;
  dedup_key: string | null;
}

/**
 * One notification: one incident event to one channel, unique on (event_id, channel_id). `body` is fixed when
 * queued, so every retry sends the same bytes; the row id is the idempotency key receivers see.
 */
export interface NotificationOutboxTable {
  id: string;
  tenant_id: string;
  incident_id: string;
  event_id: string;
  event_type: NotifiedEventType;
  channel_id: string;
  channel_type: ChannelType;
  url: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  /** Set while claimed: the claim's random token and when the claim lapses (another instance may take it then). */
  claim_token: string | null;
  lease_expires_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}
