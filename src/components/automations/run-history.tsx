'use client';
import { useState } from 'react';
import { trpc } from '@/lib/trpc';
import { DurationChart } from './duration-chart';
import { formatDuration, formatExact, formatMetricValue, formatRelative, metricLabel } from '@/lib/format';
import { Pager } from '@/components/ui/pager';

const PAGE = 15;

const OUTCOME_STYLE: Record<string, string> = {
  succeeded: 'text-emerald-700',
  failed: 'text-red-700',
  abandoned: 'text-amber-700',
  running: 'text-sky-700',
};

/** The last runs of one automation, newest first, with a duration chart and paging. */
export function RunHistory({ automationKey, name, now, onClose }: { automationKey: string; name: string; now: number; onClose(): void }) {
  // Cursors of the pages seen so far; the last one is the page on screen (undefined = newest page).
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const history = trpc.automations.runs.useQuery({ key: automationKey, limit: PAGE, cursor }, { refetchInterval: cursor === undefined ? 5_000 : false });

  return (
    <section aria-labelledby="history-title" className="mt-6 rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="run-history">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="history-title" className="font-semibold">Run history — {name}</h2>
        <button type="button" onClick={onClose} className="ml-auto rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50">
          Close
        </button>
      </div>
      {history.isPending ? <p className="mt-3 text-sm text-slate-500">Loading runs…</p> : null}
      {history.isError ? <p role="alert" className="mt-3 text-sm text-red-700">Could not load runs: {history.error.message}</p> : null}
      {history.data && history.data.runs.length === 0 ? (
        <p className="mt-3 text-sm text-slate-600">No runs yet. Use “Run now”, or wait for the next scheduled run.</p>
      ) : null}
      {history.data && history.data.runs.length > 0 ? (
        <>
          <DurationChart points={history.data.runs} />
          <div className="mt-3 overflow-x-auto">
            <table className="w-full min-w-[40rem] text-left text-sm">
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th scope="col" className="py-1 pr-3">Started</th>
                  <th scope="col" className="py-1 pr-3">Trigger</th>
                  <th scope="col" className="py-1 pr-3">Actor</th>
                  <th scope="col" className="py-1 pr-3">Instance</th>
                  <th scope="col" className="py-1 pr-3">Outcome</th>
                  <th scope="col" className="py-1 pr-3">Duration</th>
                  <th scope="col" className="py-1">Details</th>
                </tr>
              </thead>
              <tbody>
                {history.data.runs.map((run) => (
                  <tr key={run.id} className="border-t border-slate-100 align-top">
                    <td className="py-1 pr-3" title={formatExact(run.startedAt)}>{formatRelative(run.startedAt, now)}</td>
                    <td className="py-1 pr-3">{run.trigger}</td>
                    <td className="py-1 pr-3 break-all">{run.actor ?? '—'}</td>
                    <td className="py-1 pr-3 break-all font-mono text-xs">{run.instanceId}</td>
                    <td className={`py-1 pr-3 font-medium ${OUTCOME_STYLE[run.outcome] ?? ''}`}>{run.outcome}</td>
                    <td className="py-1 pr-3 tabular-nums">{formatDuration(run.durationMs)}</td>
                    <td className="py-1">
                      {run.error ? <p className="whitespace-pre-wrap break-words font-mono text-xs text-red-700">{run.error}</p> : null}
                      {run.metrics ? (
                        <details>
                          <summary className="cursor-pointer text-xs text-slate-600">Metrics</summary>
                          <dl className="grid grid-cols-2 gap-x-3 text-xs">
                            {Object.entries(run.metrics).map(([k, v]) => (
                              <div key={k} className="contents">
                                <dt className="text-slate-500">{metricLabel(k)}</dt>
                                <dd>{formatMetricValue(v)}</dd>
                              </div>
                            ))}
                          </dl>
                        </details>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            hasNewer={cursors.length > 1}
            hasOlder={Boolean(history.data.nextCursor)}
            onNewer={() => setCursors((c) => c.slice(0, -1))}
            onOlder={() => setCursors((c) => [...c, history.data?.nextCursor ?? undefined])}
          />
        </>
      ) : null}
    </section>
  );
}
