'use client';
import type { IncidentDetail } from '@/server/alerts/alerts.schemas';
import { formatExact, formatRelative } from '@/lib/format';
import { DELIVERY_TABLE, EVENT_TABLE, INCIDENT_STATUS_TABLE, RESOLUTION_TABLE, SEVERITY_TABLE, describeCondition, formatMetricValue } from './alert-tables';

/** One incident: what breached, and its timeline of fired / acknowledged / notes / reminders / resolved with each notification's delivery. Pure. */
export function IncidentTimeline({ incident: i, now }: { incident: IncidentDetail; now: number }) {
  const status = INCIDENT_STATUS_TABLE[i.status];
  return (
    <article aria-labelledby="incident-title" className="space-y-3">
      <header className="space-y-1">
        <div className="flex flex-wrap items-center gap-2">
          <h2 id="incident-title" className="text-lg font-semibold">
            {i.ruleName} on {i.serverName}
          </h2>
          <span
            title={status.help}
            className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${status.className}`}
          >
            <span aria-hidden="true" className={`h-1.5 w-1.5 rounded-full ${status.dot}`} />
            {status.label}
          </span>
          <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${SEVERITY_TABLE[i.severity].className}`}>
            {SEVERITY_TABLE[i.severity].label}
          </span>
        </div>
        <p className="text-sm text-slate-600">{describeCondition(i)}</p>
        <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-4">
          <dt className="text-slate-500">Value when fired</dt>
          <dd className="tabular-nums">{formatMetricValue(i.metric, i.value)}</dd>
          <dt className="text-slate-500">{i.status === 'resolved' ? 'Last value' : 'Now'}</dt>
          <dd className="tabular-nums">{formatMetricValue(i.metric, i.lastValue)}</dd>
          <dt className="text-slate-500">Opened</dt>
          <dd title={formatExact(i.openedAt)}>{formatRelative(i.openedAt, now)}</dd>
          <dt className="text-slate-500">{i.resolvedAt ? 'Resolved' : 'Last evaluated'}</dt>
          <dd title={formatExact(i.resolvedAt ?? i.lastEvaluatedAt)}>
            {formatRelative(i.resolvedAt ?? i.lastEvaluatedAt, now)}
            {i.resolution ? ` (${RESOLUTION_TABLE[i.resolution]})` : ''}
          </dd>
        </dl>
      </header>
      <ol aria-label="Timeline" className="space-y-3 border-l border-slate-200 pl-4">
        {i.timeline.map((e) => (
          <li key={e.id} className="relative" data-testid="timeline-entry" data-type={e.type}>
            <span aria-hidden="true" className={`absolute -left-[1.3rem] top-1.5 h-2.5 w-2.5 rounded-full ${EVENT_TABLE[e.type].dot}`} />
            <p className="text-sm">
              <span className="font-medium">{EVENT_TABLE[e.type].label}</span>{' '}
              <span className="text-slate-500" title={formatExact(e.at)}>
                {formatRelative(e.at, now)}
              </span>{' '}
              <span className="text-slate-500">by {e.actor}</span>
              {e.value !== null ? <span className="tabular-nums"> · {formatMetricValue(i.metric, e.value)}</span> : null}
            </p>
            {e.note ? <p className="mt-0.5 whitespace-pre-wrap rounded bg-slate-50 px-2 py-1 text-sm">{e.note}</p> : null}
            {e.deliveries.length > 0 ? (
              <ul className="mt-1 space-y-0.5">
                {e.deliveries.map((d) => (
                  <li key={d.id} className="flex flex-wrap items-center gap-2 text-xs" data-testid="delivery" data-status={d.status}>
                    <span className={`rounded px-1.5 py-0.5 font-medium ${DELIVERY_TABLE[d.status].className}`}>{DELIVERY_TABLE[d.status].label}</span>
                    <span className="text-slate-600">
                      {d.channelType === 'slack' ? 'Slack' : 'Webhook'} {hostOf(d.url)}
                    </span>
                    <span className="text-slate-500">
                      {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
                      {d.lastStatusCode !== null ? ` · HTTP ${d.lastStatusCode}` : ''}
                      {d.nextAttemptAt ? ` · next ${formatRelative(d.nextAttemptAt, now)}` : ''}
                    </span>
                    {d.lastError && d.status !== 'delivered' ? <span className="break-all text-red-700">{d.lastError}</span> : null}
                  </li>
                ))}
              </ul>
            ) : null}
          </li>
        ))}
      </ol>
    </article>
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
