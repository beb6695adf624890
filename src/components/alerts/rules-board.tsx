'use client';
import Link from 'next/link';
import { useCallback, useEffect, useRef, useState } from 'react';
import { trpc } from '@/lib/trpc';
import type { PreviewInput, RuleView } from '@/server/alerts/alerts.schemas';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Table } from '@/components/ui/table';
import { useMe } from '../shell';
import { SEVERITY_TABLE, describeCondition } from './alert-tables';
import { type RuleFormValues, RuleForm } from './rule-form';

type Feedback = { tone: 'ok' | 'error'; text: string };

/** Waits until `value` has been stable for `ms` before passing it on (the preview query follows typing). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Owns the rules page's data: rules, targets, the live preview of the rule being edited, and the mutations. */
export function RulesBoard() {
  const me = useMe();
  const isAdmin = me.role === 'admin';
  const utils = trpc.useUtils();
  const rules = trpc.alerts.rules.useQuery({});
  const targets = trpc.alerts.targets.useQuery();
  const [editing, setEditing] = useState<RuleView | 'new' | null>(null);
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const [secrets, setSecrets] = useState<Array<{ url: string; secret: string }>>([]);
  const [confirmDelete, setConfirmDelete] = useState<RuleView | null>(null);
  const [previewInput, setPreviewInput] = useState<PreviewInput | null>(null);
  const settledPreview = useSettled(previewInput, 300);
  const preview = trpc.alerts.preview.useQuery(settledPreview ?? { tenantId: '', metric: 'up', operator: '>', threshold: 0 }, {
    enabled: editing !== null && settledPreview !== null,
    refetchInterval: 15_000,
  });
  const onPreviewChange = useCallback((input: PreviewInput | null) => setPreviewInput(input), []);
  // When the form closes, focus goes back to what opened it: "New rule" (rendered anew) or the row's Edit button.
  const opener = useRef<HTMLElement | 'new' | null>(null);
  const newRuleButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (editing !== null || opener.current === null) return;
    const target = opener.current === 'new' ? newRuleButton.current : opener.current;
    opener.current = null;
    if (target?.isConnected) target.focus();
  }, [editing]);

  const saved = (rule: RuleView, verb: string) => {
    void utils.alerts.rules.invalidate();
    void utils.alerts.openCount.invalidate();
    setEditing(null);
    setSecrets(rule.channels.flatMap((c) => (c.generatedSecret ? [{ url: c.url, secret: c.generatedSecret }] : [])));
    setFeedback({ tone: 'ok', text: `${verb} “${rule.name}” (${rule.enabled ? 'enabled: evaluated on the next run' : 'disabled'})` });
  };
  const create = trpc.alerts.createRule.useMutation({ onSuccess: (rule) => saved(rule, 'Created') });
  const update = trpc.alerts.updateRule.useMutation({ onSuccess: (rule) => saved(rule, 'Saved') });
  const remove = trpc.alerts.deleteRule.useMutation({
    onSuccess: (rule) => {
      void utils.alerts.rules.invalidate();
      void utils.alerts.openCount.invalidate();
      setFeedback({ tone: 'ok', text: `Deleted “${rule.name}”; its open incidents were resolved without notifications` });
    },
    onError: (error) => setFeedback({ tone: 'error', text: `Not deleted: ${error.message}` }),
  });
  const toggle = trpc.alerts.updateRule.useMutation({
    onSuccess: (rule) => {
      void utils.alerts.rules.invalidate();
      void utils.alerts.openCount.invalidate();
      setFeedback({ tone: 'ok', text: rule.enabled ? `Enabled “${rule.name}”` : `Disabled “${rule.name}”; its open incidents resolved` });
    },
    onError: (error) => setFeedback({ tone: 'error', text: `Not changed: ${error.message}` }),
  });

  if (rules.isPending || targets.isPending) return <p className="text-sm text-slate-500">Loading alert rules…</p>;
  if (rules.isError)
    return (
      <p role="alert" className="text-sm text-red-700">
        Could not load alert rules: {rules.error.message}
      </p>
    );
  if (targets.isError)
    return (
      <p role="alert" className="text-sm text-red-700">
        Could not load tenants: {targets.error.message}
      </p>
    );

  const tenantName = new Map(targets.data.map((t) => [t.tenantId, t.tenantName]));
  const serverName = new Map(targets.data.flatMap((t) => t.servers.map((s) => [s.id, s.name] as const)));
  const submit = (values: RuleFormValues) => {
    if (editing === 'new') create.mutate(values);
    else if (editing) {
      const { tenantId: _tenant, ...patch } = values;
      update.mutate({ id: editing.id, ...patch });
    }
  };
  const saveError = (editing === 'new' ? create.error : update.error)?.message ?? null;

  return (
    <section aria-labelledby="rules-title" className="space-y-4">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 id="rules-title" className="text-xl font-semibold">
          Alert rules
        </h1>
        <p className="text-sm text-slate-500">Evaluated by the alert-evaluation automation against the inference samples.</p>
        {isAdmin && editing === null && targets.data.length > 0 ? (
          <button
            ref={newRuleButton}
            type="button"
            onClick={() => {
              opener.current = 'new';
              setFeedback(null);
              setEditing('new');
            }}
            className="ml-auto rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-[#fff] hover:bg-indigo-500"
          >
            New rule
          </button>
        ) : null}
      </div>

      {feedback ? (
        <p role="status" className={`text-sm ${feedback.tone === 'ok' ? 'text-emerald-700' : 'text-red-700'}`}>
          {feedback.text}
        </p>
      ) : null}
      {secrets.length > 0 ? (
        <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          <p className="font-medium">Signing secrets generated for these webhooks. They are shown only now: give them to the receivers.</p>
          <ul className="mt-2 space-y-1">
            {secrets.map((s) => (
              <li key={s.url} className="flex flex-wrap items-center gap-2">
                <span className="text-slate-600">{s.url}</span>
                <code className="rounded bg-white px-1.5 py-0.5 font-mono text-xs">{s.secret}</code>
                <button
                  type="button"
                  onClick={() => void navigator.clipboard.writeText(s.secret)}
                  className="rounded border border-slate-300 px-2 py-0.5 text-xs"
                >
                  Copy
                </button>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => setSecrets([])} className="mt-2 text-xs underline">
            I have stored them
          </button>
        </div>
      ) : null}

      {editing !== null ? (
        <RuleForm
          key={editing === 'new' ? 'new' : editing.id}
          rule={editing === 'new' ? null : editing}
          targets={targets.data}
          pending={create.isPending || update.isPending}
          error={saveError}
          preview={preview.data}
          previewError={preview.error?.message ?? null}
          onPreviewChange={onPreviewChange}
          onCancel={() => setEditing(null)}
          onSubmit={submit}
        />
      ) : null}

      {targets.data.length === 0 ? (
        <p className="rounded-xl border border-dashed border-slate-300 p-6 text-sm text-slate-600">
          No tenants yet.{' '}
          <Link href="/tenants" className="font-medium text-indigo-700 underline">
            Create a tenant
          </Link>{' '}
          and{' '}
          <Link href="/inference" className="font-medium text-indigo-700 underline">
            add its inference servers
          </Link>{' '}
          first; rules watch those servers’ samples.
        </p>
      ) : rules.data.length === 0 ? (
        <p className="rounded-xl border border-dashed border-slate-300 p-6 text-sm text-slate-600">
          No alert rules yet.{' '}
          {isAdmin ? 'Use “New rule”: pick a metric, a threshold and a window, check the preview, and add a webhook.' : 'An admin can create them.'}
        </p>
      ) : (
        <Table
          framed
          label="Alert rules"
          rows={rules.data}
          rowKey={(r) => r.id}
          rowTestId={() => 'rule-row'}
          columns={[
            {
              header: 'Rule',
              cell: (r) => (
                <>
                  <div className="font-medium">{r.name}</div>
                  <div className="text-xs text-slate-500">{tenantName.get(r.tenantId) ?? r.tenantId}</div>
                </>
              ),
            },
            { header: 'Condition', cell: (r) => describeCondition(r) },
            { header: 'Servers', cell: (r) => (r.serverId ? (serverName.get(r.serverId) ?? 'removed server') : 'All') },
            {
              header: 'Severity',
              cell: (r) => (
                <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${SEVERITY_TABLE[r.severity].className}`}>
                  {SEVERITY_TABLE[r.severity].label}
                </span>
              ),
            },
            {
              header: 'Channels',
              title: (r) => r.channels.map((c) => `${c.type}: ${c.url}`).join('\n'),
              cell: (r) => (r.channels.length === 0 ? 'none' : r.channels.map((c) => c.type).join(', ')),
            },
            { header: 'State', cell: (r) => (r.enabled ? 'Enabled' : <span className="text-slate-500">Disabled</span>) },
          ]}
          actions={
            isAdmin
              ? (r) => (
                  <>
                    <button
                      type="button"
                      onClick={(e) => {
                        opener.current = e.currentTarget;
                        setFeedback(null);
                        setEditing(r);
                      }}
                      className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50"
                    >
                      Edit
                    </button>{' '}
                    <button
                      type="button"
                      disabled={toggle.isPending}
                      onClick={() => toggle.mutate({ id: r.id, enabled: !r.enabled })}
                      className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50 disabled:opacity-50"
                    >
                      {r.enabled ? 'Disable' : 'Enable'}
                    </button>{' '}
                    <button
                      type="button"
                      disabled={remove.isPending}
                      onClick={() => setConfirmDelete(r)}
                      className="rounded-md border border-red-300 px-2 py-1 text-xs text-red-700 hover:bg-red-50 disabled:opacity-50"
                    >
                      Delete
                    </button>
                  </>
                )
              : undefined
          }
        />
      )}

      <ConfirmDialog
        open={confirmDelete !== null}
        title={`Delete “${confirmDelete?.name ?? ''}”?`}
        confirmLabel="Delete rule"
        onCancel={() => setConfirmDelete(null)}
        onConfirm={() => {
          if (confirmDelete) remove.mutate({ id: confirmDelete.id });
          setConfirmDelete(null);
        }}
      >
        Its open incidents resolve without notifications and waiting notifications are cancelled. Incident history stays.
      </ConfirmDialog>
    </section>
  );
}
