'use client';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  AGGREGATIONS,
  type Aggregation,
  type ChannelType,
  METRICS,
  METRIC_KEYS,
  type MetricKey,
  NO_DATA_MODES,
  type NoDataMode,
  OPERATORS,
  type Operator,
  SEVERITIES,
  type Severity,
  type SignatureScheme,
} from '@/shared/alert-metrics';
import type { PreviewInput, PreviewView, RuleView, TargetsView } from '@/server/alerts/alerts.schemas';
import { AGGREGATION_TABLE, NO_DATA_TABLE, SEVERITY_TABLE, formatMetricValue } from './alert-tables';
import { Table } from '@/components/ui/table';

export interface RuleFormValues {
  tenantId: string;
  name: string;
  metric: MetricKey;
  aggregation: Aggregation;
  operator: Operator;
  threshold: number;
  windowMinutes: number;
  serverId: string | null;
  severity: Severity;
  noData: NoDataMode;
  cooldownMinutes: number;
  enabled: boolean;
  channels: Array<{ type: ChannelType; url: string; secret?: string; signatureScheme?: SignatureScheme }>;
}

interface Draft {
  tenantId: string;
  name: string;
  metric: MetricKey;
  aggregation: Aggregation;
  operator: Operator;
  threshold: string;
  windowMinutes: string;
  serverId: string;
  severity: Severity;
  noData: NoDataMode;
  cooldownMinutes: string;
  enabled: boolean;
  channels: Array<{ type: ChannelType; url: string; secret: string; hasSecret: boolean; signatureScheme: SignatureScheme }>;
}

function initial(rule: RuleView | null, tenantId: string): Draft {
  return {
    tenantId: rule?.tenantId ?? tenantId,
    name: rule?.name ?? '',
    metric: rule?.metric ?? 'kvCacheUsagePct',
    aggregation: rule?.aggregation ?? 'avg',
    operator: rule?.operator ?? '>',
    threshold: rule ? String(rule.threshold) : '90',
    windowMinutes: rule ? String(rule.windowMinutes) : '5',
    serverId: rule?.serverId ?? '',
    severity: rule?.severity ?? 'warning',
    noData: rule?.noData ?? 'keep',
    cooldownMinutes: rule ? String(rule.cooldownMinutes) : '60',
    enabled: rule?.enabled ?? true,
    channels:
      rule?.channels.map((c) => ({
        type: c.type,
        url: c.url,
        secret: '',
        hasSecret: c.hasSecret,
        signatureScheme: c.signatureScheme ?? 'x-alert-signature',
      })) ?? [],
  };
}

const wholeNumber = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text) : null);
const decimal = (text: string) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : null);

/** The draft as a preview request, or null while it is incomplete. */
function previewOf(d: Draft): PreviewInput | null {
  const threshold = decimal(d.threshold);
  const windowMinutes = wholeNumber(d.windowMinutes);
  if (!d.tenantId || threshold === null || windowMinutes === null || windowMinutes < 1 || windowMinutes > 1440) return null;
  return {
    tenantId: d.tenantId,
    metric: d.metric,
    aggregation: d.aggregation,
    operator: d.operator,
    threshold,
    windowMinutes,
    serverId: d.serverId || null,
    noData: d.noData,
  };
}

const field = 'mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm disabled:bg-slate-100';
const label = 'block text-sm font-medium';

/**
 * Create or edit a rule. Every change of the condition is reported through `onPreviewChange`, and the board shows
 * the rule's current value per server next to the form, so a threshold is checked against real numbers before
 * it is saved.
 */
export function RuleForm({
  rule,
  targets,
  pending,
  error,
  preview,
  previewError,
  onPreviewChange,
  onCancel,
  onSubmit,
}: {
  rule: RuleView | null;
  targets: TargetsView;
  pending: boolean;
  error: string | null;
  preview: PreviewView | undefined;
  previewError: string | null;
  onPreviewChange(input: PreviewInput | null): void;
  onCancel(): void;
  onSubmit(values: RuleFormValues): void;
}) {
  const [draft, setDraft] = useState<Draft>(() => initial(rule, targets[0]?.tenantId ?? ''));
  const [localError, setLocalError] = useState<string | null>(null);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const servers = targets.find((t) => t.tenantId === draft.tenantId)?.servers ?? [];

  useEffect(() => onPreviewChange(previewOf(draft)), [draft, onPreviewChange]);
  // Opening the form moves focus into it (its first field that can change), not back to the page body.
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('input:not([disabled]), select:not([disabled])')?.focus();
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    const condition = previewOf(draft);
    const cooldownMinutes = wholeNumber(draft.cooldownMinutes);
    if (!draft.name.trim()) return setLocalError('Give the rule a name');
    if (!condition) return setLocalError('Threshold must be a number and the window 1–1440 minutes');
    if (cooldownMinutes === null) return setLocalError('Cooldown must be a whole number of minutes (0 = no reminders)');
    setLocalError(null);
    onSubmit({
      ...condition,
      name: draft.name.trim(),
      severity: draft.severity,
      cooldownMinutes,
      enabled: draft.enabled,
      channels: draft.channels
        .filter((c) => c.url.trim())
        .map((c) => ({
          type: c.type,
          url: c.url.trim(),
          ...(c.type === 'webhook' ? { signatureScheme: c.signatureScheme } : {}),
          ...(c.type === 'webhook' && c.secret ? { secret: c.secret } : {}),
        })),
    });
  }

  const unit = METRICS[draft.metric].unit;
  return (
    <form
      ref={formRef}
      onSubmit={submit}
      aria-labelledby="rule-form-title"
      className="grid gap-4 rounded-xl border border-slate-200 bg-white p-4 shadow-sm lg:grid-cols-[3fr_2fr]"
    >
      <div className="space-y-3">
        <h2 id="rule-form-title" className="text-lg font-semibold">
          {rule ? `Edit “${rule.name}”` : 'New alert rule'}
        </h2>
        <div className="grid gap-3 sm:grid-cols-2">
          <label className={label}>
            Tenant
            <select
              value={draft.tenantId}
              disabled={rule !== null}
              onChange={(e) => setDraft((d) => ({ ...d, tenantId: e.target.value, serverId: '' }))}
              className={field}
            >
              {targets.map((t) => (
                <option key={t.tenantId} value={t.tenantId}>
                  {t.tenantName}
                </option>
              ))}
            </select>
          </label>
          <label className={label}>
            Name
            <input value={draft.name} maxLength={120} onChange={(e) => set('name', e.target.value)} placeholder="KV cache nearly full" className={field} />
          </label>
          <label className={label}>
            Metric
            <select value={draft.metric} onChange={(e) => set('metric', e.target.value as MetricKey)} className={field}>
              {METRIC_KEYS.map((m) => (
                <option key={m} value={m}>
                  {METRICS[m].label}
                  {METRICS[m].unit ? ` (${METRICS[m].unit})` : ''}
                </option>
              ))}
            </select>
          </label>
          <label className={label}>
            Servers
            <select value={draft.serverId} onChange={(e) => set('serverId', e.target.value)} className={field}>
              <option value="">Every enabled server of the tenant (each on its own)</option>
              {servers.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                  {s.enabled ? '' : ' (disabled)'}
                </option>
              ))}
            </select>
          </label>
        </div>
        <fieldset className="grid gap-3 sm:grid-cols-4">
          <legend className="mb-1 text-sm font-medium">Condition</legend>
          <label className={label}>
            <span>Aggregation</span>
            <select value={draft.aggregation} onChange={(e) => set('aggregation', e.target.value as Aggregation)} className={field}>
              {AGGREGATIONS.map((a) => (
                <option key={a} value={a}>
                  {AGGREGATION_TABLE[a]}
                </option>
              ))}
            </select>
          </label>
          <label className={label}>
            <span>Operator</span>
            <select value={draft.operator} onChange={(e) => set('operator', e.target.value as Operator)} className={field}>
              {OPERATORS.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
          <label className={label}>
            <span>Threshold{unit ? ` in ${unit}` : ''}</span>
            <input inputMode="decimal" value={draft.threshold} onChange={(e) => set('threshold', e.target.value)} className={field} />
          </label>
          <label className={label}>
            <span>Window in minutes</span>
            <input inputMode="numeric" value={draft.windowMinutes} onChange={(e) => set('windowMinutes', e.target.value)} className={field} />
          </label>
          <p className="text-xs text-slate-500 sm:col-span-4">
            {AGGREGATION_TABLE[draft.aggregation]} over the last {draft.windowMinutes || '?'} min {draft.operator} {draft.threshold || '?'}
            {unit ? ` ${unit}` : ''}. {unit === '%' ? 'Percentages are 0–100: 90 means 90 %.' : ''}
          </p>
        </fieldset>
        <div className="grid gap-3 sm:grid-cols-3">
          <label className={label}>
            Severity
            <select value={draft.severity} onChange={(e) => set('severity', e.target.value as Severity)} className={field}>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {SEVERITY_TABLE[s].label}
                </option>
              ))}
            </select>
          </label>
          <label className={label}>
            With no data
            <select
              value={draft.noData}
              onChange={(e) => set('noData', e.target.value as NoDataMode)}
              title={NO_DATA_TABLE[draft.noData].help}
              className={field}
            >
              {NO_DATA_MODES.map((m) => (
                <option key={m} value={m}>
                  {NO_DATA_TABLE[m].label}
                </option>
              ))}
            </select>
          </label>
          <label className={label}>
            Reminder every (min)
            <input
              inputMode="numeric"
              value={draft.cooldownMinutes}
              onChange={(e) => set('cooldownMinutes', e.target.value)}
              className={field}
              aria-describedby="cooldown-help"
            />
            <span id="cooldown-help" className="text-xs font-normal text-slate-500">
              0 = no reminders; none once acknowledged
            </span>
          </label>
        </div>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium">Notification channels</legend>
          {draft.channels.length === 0 ? <p className="text-xs text-slate-500">No channels: incidents open and resolve, but nobody is notified.</p> : null}
          {draft.channels.map((c, i) => (
            <div key={i} className="flex flex-wrap items-end gap-2">
              <select
                aria-label={`Channel ${i + 1} type`}
                value={c.type}
                onChange={(e) =>
                  set(
                    'channels',
                    draft.channels.map((x, j) => (j === i ? { ...x, type: e.target.value as ChannelType } : x)),
                  )
                }
                className="rounded-md border border-slate-300 px-2 py-2 text-sm"
              >
                <option value="webhook">Webhook (signed JSON)</option>
                <option value="slack">Slack-compatible</option>
              </select>
              <input
                aria-label={`Channel ${i + 1} URL`}
                value={c.url}
                placeholder="https://hooks.example.com/…"
                onChange={(e) =>
                  set(
                    'channels',
                    draft.channels.map((x, j) => (j === i ? { ...x, url: e.target.value } : x)),
                  )
                }
                className="min-w-48 flex-1 rounded-md border border-slate-300 px-3 py-2 text-sm"
              />
              {c.type === 'webhook' ? (
                <select
                  aria-label={`Channel ${i + 1} signature scheme`}
                  value={c.signatureScheme}
                  title="Standard Webhooks: receivers verify with any Standard Webhooks library; changing the scheme generates a new secret"
                  onChange={(e) =>
                    set(
                      'channels',
                      draft.channels.map((x, j) => (j === i ? { ...x, signatureScheme: e.target.value as SignatureScheme } : x)),
                    )
                  }
                  className="rounded-md border border-slate-300 px-2 py-2 text-sm"
                >
                  <option value="x-alert-signature">X-Alert-Signature</option>
                  <option value="standard-webhooks">Standard Webhooks</option>
                </select>
              ) : null}
              {c.type === 'webhook' ? (
                <input
                  aria-label={`Channel ${i + 1} signing secret`}
                  type="password"
                  autoComplete="off"
                  value={c.secret}
                  placeholder={
                    c.hasSecret
                      ? 'keep current secret'
                      : c.signatureScheme === 'standard-webhooks'
                        ? 'whsec_… (empty: generate one)'
                        : 'secret (empty: generate one)'
                  }
                  onChange={(e) =>
                    set(
                      'channels',
                      draft.channels.map((x, j) => (j === i ? { ...x, secret: e.target.value } : x)),
                    )
                  }
                  className="w-52 rounded-md border border-slate-300 px-3 py-2 text-sm"
                />
              ) : null}
              <button
                type="button"
                onClick={() =>
                  set(
                    'channels',
                    draft.channels.filter((_, j) => j !== i),
                  )
                }
                className="rounded-md border border-slate-300 px-2 py-2 text-sm hover:bg-slate-50"
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            disabled={draft.channels.length >= 10}
            onClick={() =>
              set('channels', [...draft.channels, { type: 'webhook', url: '', secret: '', hasSecret: false, signatureScheme: 'x-alert-signature' }])
            }
            className="rounded-md border border-dashed border-slate-400 px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
          >
            Add channel
          </button>
        </fieldset>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled
        </label>
        {localError || error ? (
          <p role="alert" className="text-sm text-red-700">
            {localError ?? error}
          </p>
        ) : null}
        <div className="flex gap-2">
          <button
            type="submit"
            disabled={pending}
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-[#fff] hover:bg-indigo-500 disabled:opacity-50"
          >
            {pending ? 'Saving…' : rule ? 'Save changes' : 'Create rule'}
          </button>
          <button type="button" onClick={onCancel} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
            Cancel
          </button>
        </div>
      </div>
      <RulePreview metric={draft.metric} preview={preview} error={previewError} />
    </form>
  );
}

const OUTCOME_TABLE = {
  breaching: { label: 'Would fire', className: 'text-red-700' },
  ok: { label: 'OK', className: 'text-emerald-700' },
  'no-data': { label: 'No data', className: 'text-slate-500' },
} as const;

/** The draft's current value per server, as an evaluation now would compute it. Pure. */
export function RulePreview({ metric, preview, error }: { metric: MetricKey; preview: PreviewView | undefined; error: string | null }) {
  return (
    <aside aria-labelledby="preview-title" aria-live="polite" className="rounded-lg bg-slate-50 p-3">
      <h3 id="preview-title" className="text-sm font-semibold">
        Preview: current value per server
      </h3>
      {error ? <p className="mt-2 text-sm text-red-700">{error}</p> : null}
      {!preview && !error ? <p className="mt-2 text-sm text-slate-500">Complete the condition to see today’s numbers.</p> : null}
      {preview ? (
        <>
          <p className="mt-1 text-xs text-slate-500">
            Window {new Date(preview.windowStart).toLocaleTimeString()} – {new Date(preview.windowEnd).toLocaleTimeString()}
          </p>
          {preview.servers.length === 0 ? (
            <p className="mt-2 text-sm text-slate-500">No enabled servers in scope: the rule would evaluate nothing.</p>
          ) : (
            <Table
              className="mt-2"
              label="Current value per server"
              rows={preview.servers}
              rowKey={(s) => s.serverId}
              rowTestId={() => 'preview-row'}
              columns={[
                { header: 'Server', cell: (s) => s.serverName },
                { header: 'Value', className: 'tabular-nums', cell: (s) => formatMetricValue(metric, s.value) },
                { header: 'Samples', className: 'tabular-nums', cell: (s) => s.samples },
                {
                  header: 'Now',
                  className: (s) => OUTCOME_TABLE[s.outcome].className,
                  cell: (s) => (
                    <>
                      {OUTCOME_TABLE[s.outcome].label}
                      {s.outcome === 'no-data' && s.wouldAlert ? ' → would fire' : ''}
                    </>
                  ),
                },
              ]}
            />
          )}
        </>
      ) : null}
    </aside>
  );
}
