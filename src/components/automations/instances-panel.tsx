'use client';
import { trpc } from '@/lib/trpc';
import { formatExact, formatRelative } from '@/lib/format';

/** The console instances seen in the last hour: who is live, what it runs, and when it last beat. */
export function InstancesPanel({ now }: { now: number }) {
  const instances = trpc.admin.instances.useQuery(undefined, { refetchInterval: 5_000 });
  return (
    <section aria-labelledby="instances-title" className="mt-6 rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="instances-panel">
      <h2 id="instances-title" className="font-semibold">Instances</h2>
      {instances.isError ? <p role="alert" className="mt-2 text-sm text-red-700">Could not load instances: {instances.error.message}</p> : null}
      {instances.data?.length === 0 ? <p className="mt-2 text-sm text-slate-600">No instance has reported in the last hour.</p> : null}
      {instances.data && instances.data.length > 0 ? (
        <div className="mt-2 overflow-x-auto">
          <table className="w-full min-w-[36rem] text-left text-sm">
            <thead className="text-xs uppercase text-slate-500">
              <tr>
                <th scope="col" className="py-1 pr-3">Instance</th>
                <th scope="col" className="py-1 pr-3">Status</th>
                <th scope="col" className="py-1 pr-3">Version</th>
                <th scope="col" className="py-1 pr-3">Started</th>
                <th scope="col" className="py-1 pr-3">Last heartbeat</th>
                <th scope="col" className="py-1 pr-3">Locks</th>
                <th scope="col" className="py-1">Scheduler</th>
              </tr>
            </thead>
            <tbody>
              {instances.data.map((i) => (
                <tr key={i.id} className="border-t border-slate-100">
                  <td className="py-1 pr-3 font-mono text-xs break-all">{i.id}</td>
                  <td className={`py-1 pr-3 ${i.live ? 'text-emerald-700' : 'text-slate-500'}`}>
                    {i.live ? (i.runsInFlight.length > 0 ? `live, running ${i.runsInFlight.length}` : 'live') : 'gone'}
                  </td>
                  <td className="py-1 pr-3">{i.version}</td>
                  <td className="py-1 pr-3" title={formatExact(i.startedAt)}>{formatRelative(i.startedAt, now)}</td>
                  <td className="py-1 pr-3" title={formatExact(i.heartbeatAt)}>{formatRelative(i.heartbeatAt, now)}</td>
                  <td className="py-1 pr-3">{i.lockProvider}</td>
                  <td className="py-1">{i.scheduler ? 'on' : 'off'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
