'use client';
import { trpc } from '@/lib/trpc';
import { formatExact, formatRelative } from '@/lib/format';
import { Table } from '@/components/ui/table';

/** The console instances seen in the last hour: who is live, what it runs, and when it last beat. */
export function InstancesPanel({ now }: { now: number }) {
  const instances = trpc.admin.instances.useQuery(undefined, { refetchInterval: 5_000 });
  return (
    <section aria-labelledby="instances-title" className="mt-6 rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="instances-panel">
      <h2 id="instances-title" className="font-semibold">
        Instances
      </h2>
      {instances.isError ? (
        <p role="alert" className="mt-2 text-sm text-red-700">
          Could not load instances: {instances.error.message}
        </p>
      ) : null}
      {instances.data?.length === 0 ? <p className="mt-2 text-sm text-slate-600">No instance has reported in the last hour.</p> : null}
      {instances.data && instances.data.length > 0 ? (
        <Table
          className="mt-2"
          label="Console instances"
          minWidth="36rem"
          rows={instances.data}
          rowKey={(i) => i.id}
          columns={[
            { header: 'Instance', className: 'font-mono text-xs break-all', cell: (i) => i.id },
            {
              header: 'Status',
              className: (i) => (i.live ? 'text-emerald-700' : 'text-slate-500'),
              cell: (i) => (i.live ? (i.runsInFlight.length > 0 ? `live, running ${i.runsInFlight.length}` : 'live') : 'gone'),
            },
            { header: 'Version', cell: (i) => i.version },
            { header: 'Started', title: (i) => formatExact(i.startedAt), cell: (i) => formatRelative(i.startedAt, now) },
            { header: 'Last heartbeat', title: (i) => formatExact(i.heartbeatAt), cell: (i) => formatRelative(i.heartbeatAt, now) },
            { header: 'Locks', cell: (i) => i.lockProvider },
            { header: 'Scheduler', cell: (i) => (i.scheduler ? 'on' : 'off') },
          ]}
        />
      ) : null}
    </section>
  );
}
