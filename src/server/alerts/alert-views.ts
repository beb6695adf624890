import 'server-only';
import type { Selectable } from 'kysely';
import type { TenantAccess } from '../tenants/tenant-access';
import { actorFor } from '../tenants/actor-redaction';
import { metricOfColumn } from '../../shared/alert-metrics';
import type { AlertChannelTable, AlertRuleTable, IncidentEventTable, IncidentTable, NotificationOutboxTable } from '../db/tables/alerts.tables';
import type { ChannelView, DeliveryView, IncidentView, RuleView } from './alerts.schemas';
import { shownChannelUrl } from './channel-urls';

/** Rows of the alerts tables as the service reads them, and the views both surfaces answer with. */
export type Rule = Selectable<AlertRuleTable>;
export type Channel = Selectable<AlertChannelTable>;
export type Incident = Selectable<IncidentTable> & { notifications_sent?: number | string | null };

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function toChannelView(c: Channel, generated?: Map<string, string>, now = Date.now()): ChannelView {
  const secret = generated?.get(c.id);
  const overlap = c.previous_secret_enc !== null && c.previous_secret_expires_at !== null && Number(c.previous_secret_expires_at) > now;
  return {
    id: c.id,
    type: c.type,
    url: shownChannelUrl(c.type, c.url),
    hasSecret: c.secret_enc !== null || c.secret !== null,
    signatureScheme: c.type === 'webhook' ? c.signature_scheme : null,
    previousSecretExpiresAt: overlap ? iso(c.previous_secret_expires_at) : null,
    ...(secret ? { generatedSecret: secret } : {}),
  };
}

/** A rule with its channels; `generated` holds secrets made for this answer, shown once. */
export function toRuleView(r: Rule, channels: Channel[], generated?: Map<string, string>, now?: number): RuleView {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    metric: metricOfColumn(r.metric) ?? 'up',
    aggregation: r.aggregation,
    operator: r.operator,
    threshold: Number(r.threshold),
    windowMinutes: Number(r.window_minutes),
    serverId: r.server_id,
    severity: r.severity,
    noData: r.no_data,
    cooldownMinutes: Number(r.cooldown_minutes),
    enabled: r.enabled === 1,
    channels: channels.map((c) => toChannelView(c, generated, now)),
    createdAt: new Date(Number(r.created_at)).toISOString(),
    updatedAt: new Date(Number(r.updated_at)).toISOString(),
  };
}

/** Who acknowledged (and who wrote timeline entries) is shown to a tenant-restricted caller as a kind only. */
export function toIncidentView(i: Incident, access: TenantAccess): IncidentView {
  return {
    id: i.id,
    tenantId: i.tenant_id,
    ruleId: i.rule_id,
    ruleName: i.rule_name,
    serverId: i.server_id,
    serverName: i.server_name,
    metric: metricOfColumn(i.metric) ?? 'up',
    aggregation: i.aggregation,
    operator: i.operator,
    threshold: Number(i.threshold),
    windowMinutes: Number(i.window_minutes),
    severity: i.severity,
    status: i.status,
    value: i.value === null ? null : Number(i.value),
    lastValue: i.last_value === null ? null : Number(i.last_value),
    openedAt: new Date(Number(i.opened_at)).toISOString(),
    lastEvaluatedAt: new Date(Number(i.last_evaluated_at)).toISOString(),
    acknowledgedAt: iso(i.acknowledged_at),
    acknowledgedBy: actorFor(access, i.acknowledged_by),
    resolvedAt: iso(i.resolved_at),
    resolution: i.resolution,
    notificationsSent: Number(i.notifications_sent ?? 0),
  };
}

export function toDeliveryView(d: Selectable<NotificationOutboxTable>): DeliveryView {
  const waiting = d.status === 'queued';
  return {
    id: d.id,
    channelId: d.channel_id,
    channelType: d.channel_type,
    url: shownChannelUrl(d.channel_type, d.url),
    status: d.status,
    attempts: Number(d.attempts),
    lastStatusCode: d.last_status_code === null ? null : Number(d.last_status_code),
    lastError: d.last_error,
    nextAttemptAt: waiting ? iso(d.next_attempt_at) : null,
    deliveredAt: iso(d.delivered_at),
  };
}

export function toTimelineEntry(e: Selectable<IncidentEventTable>, deliveries: DeliveryView[], access: TenantAccess) {
  return {
    id: e.id,
    at: new Date(Number(e.at)).toISOString(),
    type: e.type,
    actor: actorFor(access, e.actor),
    value: e.value === null ? null : Number(e.value),
    note: e.note,
    deliveries,
  };
}
