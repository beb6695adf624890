'use client';
import { type FormEvent, useState } from 'react';
import { trpc } from '@/lib/trpc';
import { formatExact, formatRelative } from '@/lib/format';
import { Field } from '@/components/ui/field';
import { Pager } from '@/components/ui/pager';
import { Table } from '@/components/ui/table';

const FILTER_LABEL = { actor: 'Actor', action: 'Action', target: 'Target (automation, token, email)' } as const;

interface Filter {
  actor?: string;
  action?: string;
  target?: string;
}

/** The audit log, newest first, filterable by actor, action and target (an automation key, a token name…). */
export function AuditLogView({ now }: { now: number }) {
  const [draft, setDraft] = useState<Filter>({});
  const [filter, setFilter] = useState<Filter>({});
  const [pages, setPages] = useState<Array<number | undefined>>([undefined]);
  const beforeId = pages[pages.length - 1];
  const audit = trpc.admin.audit.useQuery({ ...filter, limit: 50, beforeId }, { refetchInterval: beforeId === undefined ? 5_000 : false });

  function apply(event: FormEvent) {
    event.preventDefault();
    setFilter(draft);
    setPages([undefined]);
  }

  return (
    <div className="space-y-4">
      <form
        onSubmit={apply}
        className="grid gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-4 sm:items-end"
        aria-label="Filter the audit log"
      >
        {(['actor', 'action', 'target'] as const).map((field) => (
          <Field key={field} label={FILTER_LABEL[field]}>
            {(control) => (
              <input
                {...control}
                value={draft[field] ?? ''}
                placeholder={field === 'actor' ? 'token:ops or operator:me@…' : field === 'action' ? 'automation.pause' : 'alert-evaluation'}
                onChange={(e) => setDraft((d) => ({ ...d, [field]: e.target.value }))}
              />
            )}
          </Field>
        ))}
        <button type="submit" className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-[#fff] hover:bg-indigo-500">
          Filter
        </button>
      </form>
      {audit.isError ? (
        <p role="alert" className="text-sm text-red-700">
          {audit.error.message}
        </p>
      ) : null}
      <section aria-label="Audit entries" className="overflow-x-auto rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
        {audit.data?.entries.length === 0 ? (
          <p className="text-sm text-slate-600">Nothing recorded{Object.values(filter).some(Boolean) ? ' for this filter' : ' yet'}.</p>
        ) : null}
        {audit.data && audit.data.entries.length > 0 ? (
          <Table
            label="Audit entries"
            minWidth="44rem"
            rows={audit.data.entries}
            rowKey={(e) => String(e.id)}
            columns={[
              { header: 'When', title: (e) => formatExact(e.at), cell: (e) => formatRelative(e.at, now) },
              { header: 'Actor', className: 'break-all', cell: (e) => e.actor },
              { header: 'Action', className: 'font-mono text-xs', cell: (e) => e.action },
              { header: 'Target', className: 'break-all', cell: (e) => e.target ?? '—' },
              {
                header: 'Outcome',
                cell: (e) => (
                  <>
                    {e.outcome}
                    {e.detail ? <span className="block text-xs text-slate-500 break-all">{JSON.stringify(e.detail)}</span> : null}
                  </>
                ),
              },
              { header: 'Instance', className: 'font-mono text-xs break-all', cell: (e) => e.instanceId },
            ]}
          />
        ) : null}
        <Pager
          hasNewer={pages.length > 1}
          hasOlder={Boolean(audit.data?.nextBeforeId)}
          onNewer={() => setPages((p) => p.slice(0, -1))}
          onOlder={() => setPages((p) => [...p, audit.data?.nextBeforeId ?? undefined])}
        />
      </section>
    </div>
  );
}
