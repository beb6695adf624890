'use client';
import { useEffect, useRef, useState } from 'react';
import { trpc } from '@/lib/trpc';
import { DurationChart } from './duration-chart';
import { formatDuration, formatExact, formatMetricValue, formatRelative, metricLabel } from '@/lib/format';
import { Pager } from '@/components/ui/pager';
import { Table } from '@/components/ui/table';

const PAGE = 15;

const OUTCOME_STYLE: Record<string, string> = {
  succeeded: 'text-emerald-700',
  failed: 'text-red-700',
  abandoned: 'text-amber-700',
  running: 'text-sky-700',
};

/** The last runs of one automation, newest first, with a duration chart and paging. */
export function RunHistory({
  automationKey,
  name,
  now,
  focusOnOpen = false,
  onClose,
}: {
  automationKey: string;
  name: string;
  now: number;
  focusOnOpen?: boolean;
  onClose(): void;
}) {
  // Opened by its button: focus moves to the panel's heading, so the keyboard is where the eyes are.
  const heading = useRef<HTMLHeadingElement>(null);
  const focusFirst = useRef(focusOnOpen);
  useEffect(() => {
    if (focusFirst.current) heading.current?.focus();
  }, []);
  // Cursors of the pages seen so far; the last one is the page on screen (undefined = newest page).
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const history = trpc.automations.runs.useQuery({ key: automationKey, limit: PAGE, cursor }, { refetchInterval: cursor === undefined ? 5_000 : false });

  return (
    <section aria-labelledby="history-title" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="run-history">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="history-title" ref={heading} tabIndex={-1} className="font-semibold">
          Run history — {name}
        </h2>
        <button type="button" onClick={onClose} className="ml-auto rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50">
          Close
        </button>
      </div>
      {history.isPending ? <p className="mt-3 text-sm text-slate-500">Loading runs…</p> : null}
      {history.isError ? (
        <p role="alert" className="mt-3 text-sm text-red-700">
          Could not load runs: {history.error.message}
        </p>
      ) : null}
      {history.data && history.data.runs.length === 0 ? (
        <p className="mt-3 text-sm text-slate-600">No runs yet. Use “Run now”, or wait for the next scheduled run.</p>
      ) : null}
      {history.data && history.data.runs.length > 0 ? (
        <>
          <DurationChart points={history.data.runs} />
          <Table
            className="mt-3"
            label={`Runs of ${name}`}
            minWidth="40rem"
            rows={history.data.runs}
            rowKey={(run) => run.id}
            columns={[
              { header: 'Started', title: (run) => formatExact(run.startedAt), cell: (run) => formatRelative(run.startedAt, now) },
              { header: 'Trigger', cell: (run) => run.trigger },
              { header: 'Actor', className: 'break-all', cell: (run) => run.actor ?? '—' },
              { header: 'Instance', className: 'break-all font-mono text-xs', cell: (run) => run.instanceId },
              { header: 'Outcome', className: (run) => `font-medium ${OUTCOME_STYLE[run.outcome] ?? ''}`, cell: (run) => run.outcome },
              { header: 'Duration', className: 'tabular-nums', cell: (run) => formatDuration(run.durationMs) },
              { header: 'Details', cell: (run) => <RunDetails error={run.error} metrics={run.metrics} /> },
            ]}
          />
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

/** A run's error and, folded, the metrics it reported. */
function RunDetails({ error, metrics }: { error: string | null; metrics: Record<string, string | number | boolean> | null }) {
  return (
    <>
      {error ? <p className="whitespace-pre-wrap break-words font-mono text-xs text-red-700">{error}</p> : null}
      {metrics ? (
        <details>
          <summary className="cursor-pointer text-xs text-slate-600">Metrics</summary>
          <dl className="grid grid-cols-2 gap-x-3 text-xs">
            {Object.entries(metrics).map(([k, v]) => (
              <div key={k} className="contents">
                <dt className="text-slate-500">{metricLabel(k)}</dt>
                <dd>{formatMetricValue(v)}</dd>
              </div>
            ))}
          </dl>
        </details>
      ) : null}
    </>
  );
}
