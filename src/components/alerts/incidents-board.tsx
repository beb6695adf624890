'use client';
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { trpc } from '@/lib/trpc';
import type { IncidentStatus } from '@/shared/alert-metrics';
import { formatExact, formatRelative } from '@/lib/format';
import { useMe } from '../shell';
import { useNow } from '@/lib/use-now';
import { INCIDENT_STATUS_TABLE, SEVERITY_TABLE, formatMetricValue } from './alert-tables';
import { IncidentTimeline } from './incident-timeline';

/** Incidents change with every evaluation (every 30 s by default); a few seconds keeps the page current. */
const POLL_MS = 5_000;

const FILTERS: Array<{ value: IncidentStatus | 'all'; label: string }> = [
  { value: 'all', label: 'All (open first)' },
  { value: 'open', label: 'Open' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'resolved', label: 'Resolved' },
];

/** Owns the incidents page's data: the list (open first), the selected incident's timeline, acknowledge and notes. */
export function IncidentsBoard() {
  const me = useMe();
  const now = useNow();
  const utils = trpc.useUtils();
  const [filter, setFilter] = useState<IncidentStatus | 'all'>('all');
  const [selected, setSelected] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [feedback, setFeedback] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);
  const list = trpc.alerts.incidents.useQuery({ status: filter === 'all' ? undefined : filter, limit: 200 }, { refetchInterval: POLL_MS });
  const detail = trpc.alerts.incident.useQuery({ id: selected ?? '' }, { enabled: selected !== null, refetchInterval: POLL_MS });

  const refreshed = (text: string) => {
    setNote('');
    setFeedback({ tone: 'ok', text });
    void utils.alerts.incidents.invalidate();
    void utils.alerts.incident.invalidate();
    void utils.alerts.openCount.invalidate();
  };
  const acknowledge = trpc.alerts.acknowledge.useMutation({
    onSuccess: (i) => refreshed(i.acknowledgedBy ? `Acknowledged by ${i.acknowledgedBy}: no more reminders; it still resolves by itself` : 'Acknowledged'),
    onError: (error) => setFeedback({ tone: 'error', text: `Not acknowledged: ${error.message}` }),
  });
  const addNote = trpc.alerts.addNote.useMutation({
    onSuccess: () => refreshed('Note added to the timeline'),
    onError: (error) => setFeedback({ tone: 'error', text: `Note not added: ${error.message}` }),
  });

  function submitNote(event: FormEvent) {
    event.preventDefault();
    if (selected && note.trim()) addNote.mutate({ id: selected, note: note.trim() });
  }

  const incident = detail.data;
  const busy = acknowledge.isPending || addNote.isPending;
  return (
    <section aria-labelledby="incidents-title" className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="incidents-title" className="text-xl font-semibold">
          Incidents
        </h1>
        <div role="group" aria-label="Filter by status" className="flex flex-wrap gap-1">
          {FILTERS.map((f) => (
            <button
              key={f.value}
              type="button"
              aria-pressed={filter === f.value}
              onClick={() => setFilter(f.value)}
              className={`rounded-md px-2.5 py-1 text-sm ${filter === f.value ? 'bg-indigo-600 text-[#fff]' : 'border border-slate-300 hover:bg-slate-50'}`}
            >
              {f.label}
            </button>
          ))}
        </div>
      </div>

      <div className="grid gap-4 lg:grid-cols-[2fr_3fr]">
        <div>
          {list.isPending ? <p className="text-sm text-slate-500">Loading incidents…</p> : null}
          {list.isError ? (
            <p role="alert" className="text-sm text-red-700">
              Could not load incidents: {list.error.message}
            </p>
          ) : null}
          {list.data?.length === 0 ? (
            <p className="rounded-xl border border-dashed border-slate-300 p-6 text-sm text-slate-600">
              {filter === 'all' ? (
                <>
                  No incidents. They open here when an enabled{' '}
                  <Link href="/alerts" className="font-medium text-indigo-700 underline">
                    alert rule
                  </Link>{' '}
                  breaches on a server.
                </>
              ) : (
                `No ${filter} incidents.`
              )}
            </p>
          ) : null}
          <ul className="space-y-2">
            {list.data?.map((i) => {
              const status = INCIDENT_STATUS_TABLE[i.status];
              return (
                <li key={i.id}>
                  <button
                    type="button"
                    onClick={() => {
                      setSelected(i.id);
                      setFeedback(null);
                    }}
                    aria-current={selected === i.id ? 'true' : undefined}
                    data-testid="incident-row"
                    data-status={i.status}
                    className={`w-full rounded-lg border bg-white p-3 text-left shadow-sm hover:border-indigo-300 ${selected === i.id ? 'border-indigo-500' : 'border-slate-200'}`}
                  >
                    <div className="flex flex-wrap items-center gap-2">
                      <span className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${status.className}`}>
                        <span aria-hidden="true" className={`h-1.5 w-1.5 rounded-full ${status.dot}`} />
                        {status.label}
                      </span>
                      <span className={`rounded-full px-2 py-0.5 text-xs ring-1 ring-inset ${SEVERITY_TABLE[i.severity].className}`}>
                        {SEVERITY_TABLE[i.severity].label}
                      </span>
                      <span className="font-medium">{i.ruleName}</span>
                    </div>
                    <p className="mt-1 text-sm text-slate-600">
                      {i.serverName} · {formatMetricValue(i.metric, i.status === 'resolved' ? i.lastValue : (i.lastValue ?? i.value))} {i.operator}{' '}
                      {formatMetricValue(i.metric, i.threshold)}
                    </p>
                    <p className="text-xs text-slate-500" title={formatExact(i.openedAt)}>
                      opened {formatRelative(i.openedAt, now)}
                      {i.resolvedAt ? ` · resolved ${formatRelative(i.resolvedAt, now)}` : ''} · {i.notificationsSent} notification
                      {i.notificationsSent === 1 ? '' : 's'} delivered
                    </p>
                  </button>
                </li>
              );
            })}
          </ul>
        </div>

        <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
          {selected === null ? <p className="text-sm text-slate-500">Choose an incident to see its timeline.</p> : null}
          {selected !== null && detail.isPending ? <p className="text-sm text-slate-500">Loading…</p> : null}
          {detail.isError ? (
            <p role="alert" className="text-sm text-red-700">
              Could not load the incident: {detail.error.message}
            </p>
          ) : null}
          {incident ? (
            <div className="space-y-4">
              <IncidentTimeline incident={incident} now={now} />
              {me.role === 'admin' && incident.status !== 'resolved' ? (
                <form onSubmit={submitNote} className="space-y-2 border-t border-slate-100 pt-3">
                  <label className="block text-sm font-medium">
                    Note <span className="font-normal text-slate-500">(optional with acknowledge)</span>
                    <textarea
                      value={note}
                      maxLength={2000}
                      rows={2}
                      onChange={(e) => setNote(e.target.value)}
                      className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
                    />
                  </label>
                  <div className="flex flex-wrap gap-2">
                    {incident.status === 'open' ? (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => acknowledge.mutate({ id: incident.id, note: note.trim() || undefined })}
                        className="rounded-md bg-[#b45309] px-3 py-1.5 text-sm font-semibold text-[#fff] hover:bg-[#92400e] disabled:opacity-50"
                      >
                        {acknowledge.isPending ? 'Acknowledging…' : 'Acknowledge'}
                      </button>
                    ) : null}
                    <button
                      type="submit"
                      disabled={busy || !note.trim()}
                      className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
                    >
                      {addNote.isPending ? 'Adding…' : 'Add note'}
                    </button>
                  </div>
                </form>
              ) : null}
              {me.role === 'admin' && incident.status === 'resolved' ? (
                <form onSubmit={submitNote} className="flex gap-2 border-t border-slate-100 pt-3">
                  <label className="sr-only" htmlFor="postmortem-note">
                    Note
                  </label>
                  <input
                    id="postmortem-note"
                    value={note}
                    maxLength={2000}
                    placeholder="Add a note for the record"
                    onChange={(e) => setNote(e.target.value)}
                    className="flex-1 rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                  />
                  <button
                    type="submit"
                    disabled={busy || !note.trim()}
                    className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
                  >
                    Add note
                  </button>
                </form>
              ) : null}
              {feedback ? (
                <p role="status" className={`text-sm ${feedback.tone === 'ok' ? 'text-emerald-700' : 'text-red-700'}`}>
                  {feedback.text}
                </p>
              ) : null}
            </div>
          ) : null}
        </div>
      </div>
    </section>
  );
}
