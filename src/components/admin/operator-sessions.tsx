'use client';
import { useState } from 'react';
import { trpc } from '@/lib/trpc';
import { formatExact, formatRelative } from '@/lib/format';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Table } from '@/components/ui/table';

/** What ending is about to end: one session (by its id) or every session of the operator. */
type EndTarget = { sessionId?: string; includesMine: boolean };

/** One operator's live sessions, with "End" per session and "End all sessions". Admins only. */
export function OperatorSessions({ operator, now }: { operator: { id: string; email: string }; now: number }) {
  const utils = trpc.useUtils();
  const sessions = trpc.admin.operatorSessions.useQuery({ operatorId: operator.id });
  const [target, setTarget] = useState<EndTarget | null>(null);
  const [feedback, setFeedback] = useState<string | null>(null);
  const end = trpc.admin.endOperatorSessions.useMutation({
    onSuccess: async ({ ended }) => {
      setFeedback(ended === 0 ? `No session of ${operator.email} was left to end.` : `Ended ${ended} session${ended === 1 ? '' : 's'} of ${operator.email}.`);
      await utils.admin.operatorSessions.invalidate({ operatorId: operator.id });
    },
  });
  const list = sessions.data ?? [];

  return (
    <section aria-labelledby={`sessions-${operator.id}`} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id={`sessions-${operator.id}`} className="font-semibold">
          Sessions of {operator.email}
        </h2>
        <button
          type="button"
          disabled={end.isPending || list.length === 0}
          onClick={() => setTarget({ includesMine: list.some((s) => s.current) })}
          className="rounded-md border border-red-300 px-2 py-0.5 text-sm text-red-700 hover:bg-red-50 disabled:opacity-50"
        >
          End all sessions
        </button>
      </div>
      {sessions.isLoading ? <p className="mt-2 text-sm text-slate-500">Loading…</p> : null}
      {sessions.data && list.length === 0 ? <p className="mt-2 text-sm text-slate-500">No live session.</p> : null}
      {list.length > 0 ? (
        <Table
          className="mt-2"
          label={`Live sessions of ${operator.email}`}
          rows={list}
          rowKey={(s) => s.id}
          columns={[
            {
              header: 'Signed in',
              title: (s) => formatExact(s.createdAt),
              cell: (s) => (
                <>
                  {formatRelative(s.createdAt, now)}
                  {s.current ? <span className="ml-1 text-xs text-slate-500">(this session)</span> : null}
                </>
              ),
            },
            { header: 'Last seen', title: (s) => formatExact(s.lastSeenAt), cell: (s) => formatRelative(s.lastSeenAt, now) },
            { header: 'Ends', title: (s) => formatExact(s.endsAt), cell: (s) => formatRelative(s.endsAt, now) },
          ]}
          actions={(s) => (
            <button
              type="button"
              disabled={end.isPending}
              onClick={() => setTarget({ sessionId: s.id, includesMine: s.current })}
              aria-label={`End the session of ${operator.email} signed in ${formatExact(s.createdAt)}`}
              className="rounded-md border border-slate-300 px-2 py-0.5 text-sm hover:bg-slate-50 disabled:opacity-50"
            >
              End
            </button>
          )}
        />
      ) : null}
      {feedback ? (
        <p role="status" className="mt-2 text-sm text-slate-700">
          {feedback}
        </p>
      ) : null}
      {(end.error ?? sessions.error) ? (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {(end.error ?? sessions.error)?.message}
        </p>
      ) : null}
      <ConfirmDialog
        open={target !== null}
        title={target?.sessionId ? `End this session of ${operator.email}?` : `End every session of ${operator.email}?`}
        confirmLabel={target?.sessionId ? 'End session' : 'End all sessions'}
        onCancel={() => setTarget(null)}
        onConfirm={() => {
          if (target) end.mutate({ operatorId: operator.id, sessionId: target.sessionId });
          setTarget(null);
        }}
      >
        They are signed out on every console at once and must sign in again.
        {target?.includesMine ? ' This includes the session you are using now: you will be signed out.' : null}
      </ConfirmDialog>
    </section>
  );
}
