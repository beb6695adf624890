import 'server-only';
import type { Selectable } from 'kysely';
import { type ChannelType, METRICS, type NotifiedEventType, type Resolution, metricOfColumn } from '../../shared/alert-metrics';
import type { IncidentEventTable, IncidentTable } from '../db/tables/alerts.tables';

type Incident = Selectable<IncidentTable>;
type IncidentEvent = Selectable<IncidentEventTable>;

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

const RESOLUTION_TEXT: Record<Resolution, string> = {
  cleared: 'the condition cleared',
  'no-data': 'no data in the window, and the rule treats that as OK',
  'out-of-scope': 'the server is no longer evaluated by this rule (disabled, removed or out of scope)',
  'rule-disabled': 'the rule was disabled',
  'rule-deleted': 'the rule was deleted',
};

export function formatValue(value: number | null, unit: string): string {
  if (value === null) return 'no data';
  const rounded = Math.abs(value) >= 100 ? Math.round(value * 10) / 10 : Math.round(value * 1000) / 1000;
  return unit === '%' ? `${rounded} %` : unit ? `${rounded} ${unit}` : String(rounded);
}

/** One line an on-call engineer can act on, for Slack and for the `text` of webhook bodies. */
export function notificationText(type: NotifiedEventType, incident: Incident, tenantName: string, reminder: number): string {
  const metric = metricOfColumn(incident.metric) ?? incident.metric;
  const unit = metricOfColumn(incident.metric) ? METRICS[metric as keyof typeof METRICS].unit : '';
  const where = `${incident.rule_name} on ${incident.server_name} (${tenantName})`;
  const condition = `${incident.aggregation} ${metric} over ${incident.window_minutes} min ${incident.operator} ${formatValue(incident.threshold, unit)}`;
  const severity = `[${incident.severity.toUpperCase()}]`;
  switch (type) {
    case 'fired':
      return `${severity} Firing: ${where}: ${condition}; value ${formatValue(incident.value, unit)}`;
    case 'renotified':
      return `${severity} Still firing (reminder ${reminder}): ${where}: ${condition}; value now ${formatValue(incident.last_value, unit)}`;
    case 'resolved': {
      const minutes = Math.max(0, Math.round((Number(incident.resolved_at ?? incident.opened_at) - Number(incident.opened_at)) / 60_000));
      const why = incident.resolution ? RESOLUTION_TEXT[incident.resolution] : 'resolved';
      return `${severity} Resolved after ${minutes} min: ${where}: ${why}; last value ${formatValue(incident.last_value, unit)}`;
    }
    default: {
      const never: never = type;
      throw new Error(`unknown event ${String(never)}`);
    }
  }
}

/**
 * The bytes sent for one event to one channel, fixed when the notification is queued so every retry is
 * identical. Slack-compatible channels get `{ text }`; generic webhooks get the event with the incident and
 * `deliveryId` (the notification's id, the same on every attempt): being in the signed body, it is the id a
 * receiver of either signature scheme can deduplicate on and trust.
 */
export function notificationBody(
  channelType: ChannelType,
  event: IncidentEvent & { type: NotifiedEventType },
  incident: Incident,
  tenantName: string,
  deliveryId: string,
): string {
  const reminder = event.dedup_key?.startsWith('renotified:') ? Number(event.dedup_key.slice('renotified:'.length)) : 0;
  const text = notificationText(event.type, incident, tenantName, reminder);
  if (channelType === 'slack') return JSON.stringify({ text });
  return JSON.stringify({
    id: event.id,
    deliveryId,
    type: `incident.${event.type}`,
    occurredAt: iso(event.at),
    text,
    tenant: { id: incident.tenant_id, name: tenantName },
    incident: {
      id: incident.id,
      status: incident.status,
      severity: incident.severity,
      value: incident.value,
      lastValue: incident.last_value,
      openedAt: iso(incident.opened_at),
      acknowledgedAt: iso(incident.acknowledged_at),
      resolvedAt: iso(incident.resolved_at),
      resolution: incident.resolution,
      reminder: reminder || undefined,
    },
    rule: {
      id: incident.rule_id,
      name: incident.rule_name,
      metric: metricOfColumn(incident.metric) ?? incident.metric,
      aggregation: incident.aggregation,
      operator: incident.operator,
      threshold: incident.threshold,
      windowMinutes: incident.window_minutes,
    },
    server: { id: incident.server_id, name: incident.server_name },
  });
}
