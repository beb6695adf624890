'use client';
import { Fragment, useEffect, useRef, useState } from 'react';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { trpc } from '@/lib/trpc';
import { applyLiveMessage } from '@/shared/live-message';
import type { AutomationView } from '@/server/automations/automation.schemas';
import { type CardActions, AutomationCard } from './automation-card';
import { formatClockUtc, formatDuration } from '@/lib/format';
import { type Feedback, currentFeedback, signature } from './feedback';
import { InstancesPanel } from './instances-panel';
import { PauseDialog } from './pause-dialog';
import { RunHistory } from './run-history';
import { useMe, useSessionCheckOn } from '../shell';
import { useNow } from '@/lib/use-now';

type Pending = Record<string, CardActions['pending']>;

/** Owns the data: the list query, the live subscription that keeps it fresh, and the control mutations. */
export function AutomationsBoard() {
  const me = useMe();
  const utils = trpc.useUtils();
  const list = trpc.automations.list.useQuery();
  const now = useNow();
  const [pending, setPending] = useState<Pending>({});
  const [feedback, setFeedback] = useState<Record<string, Feedback>>({});
  const [pauseTarget, setPauseTarget] = useState<AutomationView | null>(null);
  // The open run history is part of the URL (?history=KEY): it can be linked, and Back closes it.
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const historyKey = searchParams.get('history');
  const setHistoryKey = (key: string | null) => router.replace(key ? `${pathname}?history=${encodeURIComponent(key)}` : pathname, { scroll: false });
  const historyOpener = useRef<string | null>(null);
  const [everConnected, setEverConnected] = useState(false);
  // Counts (re)connections of the live stream; error captions from before the latest one are stale.
  const [epoch, setEpoch] = useState(0);

  const live = trpc.automations.onChange.useSubscription(undefined, {
    // A snapshot, then only what changed (with ids, so a reconnect resumes after the last one it merged).
    onData: ({ data }) => utils.automations.list.setData(undefined, (old) => applyLiveMessage(old, data, (v) => v.key)),
  });
  // Read before any early return: the hook re-renders only for properties read during render.
  const liveStatus = live.status;
  useEffect(() => {
    if (liveStatus === 'pending') {
      setEverConnected(true);
      setEpoch((e) => e + 1);
    }
  }, [liveStatus]);
  useSessionCheckOn(liveStatus);

  /** Records what an action did, stamped with its time and the card it is true of (`view`, after the action). */
  const settle = (key: string, result: { tone: Feedback['tone']; text: string }, view?: AutomationView) => {
    setPending((p) => ({ ...p, [key]: null }));
    const basis = view ?? utils.automations.list.getData()?.find((v) => v.key === key);
    setFeedback((f) => ({ ...f, [key]: { ...result, text: `${result.text} · ${formatClockUtc(Date.now())}`, basis: basis ? signature(basis) : '', epoch } }));
  };
  const replace = (view: AutomationView) => utils.automations.list.setData(undefined, (old) => old?.map((v) => (v.key === view.key ? view : v)));

  const run = trpc.automations.run.useMutation({
    onMutate: ({ key }) => setPending((p) => ({ ...p, [key]: 'run' })),
    onSuccess: (result, { key }) => {
      replace(result.automation);
      if (result.outcome === 'already-running') {
        settle(key, { tone: 'info', text: `Already running on ${result.runningOn.join(', ') || 'another instance'}; no new run started` }, result.automation);
      } else if (result.run.outcome === 'succeeded') {
        settle(key, { tone: 'ok', text: `Run finished in ${formatDuration(result.run.durationMs)}` }, result.automation);
      } else {
        settle(key, { tone: 'error', text: `Run failed: ${result.run.error ?? 'no message'}` }, result.automation);
      }
    },
    onError: (error, { key }) => settle(key, { tone: 'error', text: `Run not started: ${error.message}` }),
  });
  const pause = trpc.automations.pause.useMutation({
    onMutate: ({ key }) => setPending((p) => ({ ...p, [key]: 'pause' })),
    onSuccess: (view, { key }) => {
      replace(view);
      settle(key, { tone: 'ok', text: 'You paused this: scheduled runs are skipped on every instance' }, view);
    },
    onError: (error, { key }) => settle(key, { tone: 'error', text: `Not paused: ${error.message}` }),
  });
  const resume = trpc.automations.resume.useMutation({
    onMutate: ({ key }) => setPending((p) => ({ ...p, [key]: 'resume' })),
    onSuccess: (view, { key }) => {
      replace(view);
      settle(key, { tone: 'ok', text: 'Resumed by you: runs on its schedule again' }, view);
    },
    onError: (error, { key }) => settle(key, { tone: 'error', text: `Not resumed: ${error.message}` }),
  });

  if (list.isPending) return <p className="text-sm text-slate-500">Loading automations…</p>;
  if (list.isError) {
    return (
      <div role="alert" className="text-sm text-red-700">
        Could not load automations: {list.error.message}{' '}
        <button type="button" onClick={() => void list.refetch()} className="ml-2 rounded-md border border-red-300 px-2 py-1 font-medium hover:bg-red-50">
          Retry
        </button>
      </div>
    );
  }

  const connected = liveStatus === 'pending';
  const pausedCount = list.data.filter((a) => a.state === 'paused').length;
  const failingCount = list.data.filter((a) => a.consecutiveFailures > 0 || a.state === 'degraded').length;
  const closeHistory = () => {
    const key = historyKey;
    setHistoryKey(null);
    // Back to the History button that opened it.
    if (key) requestAnimationFrame(() => document.getElementById(`history-button-${key}`)?.focus());
  };
  return (
    <section aria-labelledby="board-title">
      <div className="mb-4 flex flex-wrap items-baseline gap-3">
        <h1 id="board-title" className="text-xl font-semibold">
          Automations
        </h1>
        <span role="status" data-testid="live-status" className={`text-xs ${connected ? 'text-emerald-700' : 'text-amber-700'}`}>
          {connected ? '● Live' : liveStatus === 'error' || everConnected ? '○ Offline — reconnecting; values may be stale' : '○ Connecting…'}
        </span>
      </div>
      <p className="-mt-2 mb-4 text-sm text-slate-600" data-testid="board-summary">
        {list.data.length} automations · {pausedCount} paused · {failingCount} failing
      </p>
      {/* Dense flow: the history panel spans the row below its card, and the other cards fill the row above. */}
      <div className="grid grid-flow-row-dense grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
        {list.data.map((a) => (
          <Fragment key={a.key}>
            <AutomationCard
              automation={a}
              now={now}
              feedback={currentFeedback(feedback[a.key], a, epoch)}
              actions={{
                canControl: me.role === 'admin',
                pending: pending[a.key] ?? null,
                onRun: () => run.mutate({ key: a.key }),
                onPause: () => setPauseTarget(a),
                onResume: () => resume.mutate({ key: a.key }),
                onHistory: () => {
                  if (historyKey === a.key) closeHistory();
                  else {
                    historyOpener.current = a.key;
                    setHistoryKey(a.key);
                  }
                },
                historyOpen: historyKey === a.key,
              }}
            />
            {historyKey === a.key ? (
              <div className="col-span-full">
                <RunHistory
                  key={historyKey}
                  automationKey={historyKey}
                  name={a.name}
                  now={now}
                  focusOnOpen={historyOpener.current === a.key}
                  onClose={closeHistory}
                />
              </div>
            ) : null}
          </Fragment>
        ))}
      </div>
      <InstancesPanel now={now} />
      <PauseDialog
        name={pauseTarget?.name ?? ''}
        open={pauseTarget !== null}
        onCancel={() => setPauseTarget(null)}
        onConfirm={(input) => {
          if (pauseTarget) pause.mutate({ key: pauseTarget.key, ...input });
          setPauseTarget(null);
        }}
      />
    </section>
  );
}
