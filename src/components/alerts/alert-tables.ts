import {
  type Aggregation,
  type DeliveryStatus,
  type IncidentEventType,
  type IncidentStatus,
  METRICS,
  type MetricKey,
  type NoDataMode,
  type Resolution,
  type Severity,
} from '@/shared/alert-metrics';

/** Every label and colour of the alert pages comes from these tables, one per union. */

export const SEVERITY_TABLE: Record<Severity, { label: string; className: string }> = {
  critical: { label: 'Critical', className: 'bg-red-100 text-red-800 ring-red-600/20' },
  warning: { label: 'Warning', className: 'bg-amber-100 text-amber-900 ring-amber-600/20' },
  info: { label: 'Info', className: 'bg-sky-100 text-sky-800 ring-sky-600/20' },
};

export const INCIDENT_STATUS_TABLE: Record<IncidentStatus, { label: string; className: string; dot: string; help: string }> = {
  open: {
    label: 'Open',
    className: 'bg-red-100 text-red-800 ring-red-600/20',
    dot: 'bg-red-500 animate-pulse',
    help: 'Breaching now; nobody has acknowledged it',
  },
  acknowledged: {
    label: 'Acknowledged',
    className: 'bg-amber-100 text-amber-900 ring-amber-600/20',
    dot: 'bg-amber-500',
    help: 'Someone is on it; no reminders are sent; it still resolves by itself',
  },
  resolved: {
    label: 'Resolved',
    className: 'bg-emerald-100 text-emerald-800 ring-emerald-600/20',
    dot: 'bg-emerald-500',
    help: 'The condition cleared or the rule stopped evaluating it',
  },
};

export const EVENT_TABLE: Record<IncidentEventType, { label: string; dot: string }> = {
  fired: { label: 'Fired', dot: 'bg-red-500' },
  renotified: { label: 'Reminder sent', dot: 'bg-orange-400' },
  acknowledged: { label: 'Acknowledged', dot: 'bg-amber-500' },
  note: { label: 'Note', dot: 'bg-slate-400' },
  resolved: { label: 'Resolved', dot: 'bg-emerald-500' },
};

export const DELIVERY_TABLE: Record<DeliveryStatus, { label: string; className: string }> = {
  queued: { label: 'Queued', className: 'bg-slate-100 text-slate-700' },
  in_flight: { label: 'Sending', className: 'bg-sky-100 text-sky-800' },
  delivered: { label: 'Delivered', className: 'bg-emerald-100 text-emerald-800' },
  failed: { label: 'Failed', className: 'bg-red-100 text-red-800' },
  cancelled: { label: 'Cancelled', className: 'bg-slate-100 text-slate-500 line-through' },
};

export const RESOLUTION_TABLE: Record<Resolution, string> = {
  cleared: 'condition cleared',
  'no-data': 'no data (rule treats that as OK)',
  'out-of-scope': 'server no longer evaluated',
  'rule-disabled': 'rule disabled',
  'rule-deleted': 'rule deleted',
};

export const AGGREGATION_TABLE: Record<Aggregation, string> = {
  avg: 'Average',
  max: 'Maximum',
  min: 'Minimum',
  last: 'Latest value',
};

export const NO_DATA_TABLE: Record<NoDataMode, { label: string; help: string }> = {
  keep: { label: 'Keep state', help: 'An open incident stays open; nothing new opens' },
  ok: { label: 'Treat as OK', help: 'An open incident resolves' },
  alerting: { label: 'Treat as alerting', help: 'Opens an incident (no value)' },
};

export function formatMetricValue(metric: MetricKey, value: number | null): string {
  if (value === null) return '—';
  const unit = METRICS[metric].unit;
  const rounded = Math.abs(value) >= 100 ? value.toFixed(0) : Number(value.toFixed(2)).toString();
  return unit === '%' ? `${rounded} %` : unit ? `${rounded} ${unit}` : rounded;
}

/** "avg KV-cache usage over 5 min > 90 %" */
export function describeCondition(r: { metric: MetricKey; aggregation: Aggregation; operator: string; threshold: number; windowMinutes: number }): string {
  return `${r.aggregation} ${METRICS[r.metric].label} over ${r.windowMinutes} min ${r.operator} ${formatMetricValue(r.metric, r.threshold)}`;
}
