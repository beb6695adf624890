'use client';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { ServerKind } from '@/server/inference/inference.tables';
import type { ServerView } from '@/server/inference/inference.schemas';

/** What each kind's base URL usually looks like, shown as the placeholder. */
export const KIND_TABLE: Record<ServerKind, { label: string; example: string; reads: string }> = {
  vllm: { label: 'vLLM', example: 'http://gpu-1.internal:8000', reads: '/health, /metrics' },
  tgi: { label: 'Text Generation Inference', example: 'http://tgi.internal:8080', reads: '/health, /metrics, /info' },
  llamacpp: { label: 'llama.cpp server', example: 'http://llama.internal:8080', reads: '/health, /metrics (--metrics), /v1/models' },
  ollama: { label: 'Ollama', example: 'http://ollama.internal:11434', reads: '/api/version, /api/tags' },
  openai: { label: 'OpenAI-compatible', example: 'https://gateway.internal/v1', reads: '/v1/models (with the API key)' },
};
const KINDS = Object.keys(KIND_TABLE) as ServerKind[];

export interface ServerFormValues {
  tenantId: string;
  name: string;
  kind: ServerKind;
  baseUrl: string;
  pollIntervalSeconds: number;
  enabled: boolean;
  /** undefined: keep (edit) or none (create); null: remove the stored key. */
  apiKey: string | null | undefined;
}

/** Add or edit a server. The stored API key is never shown; editing offers "replace" or "remove". */
export function ServerFormDialog({
  open,
  server,
  tenants,
  defaultTenantId,
  pending,
  error,
  onCancel,
  onSubmit,
}: {
  open: boolean;
  /** The server being edited, or null to add one. */
  server: ServerView | null;
  tenants: Array<{ id: string; name: string }>;
  defaultTenantId: string | null;
  pending: boolean;
  error: string | null;
  onCancel(): void;
  onSubmit(values: ServerFormValues): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [values, setValues] = useState<ServerFormValues>(() => initial(server, defaultTenantId));
  const [apiKeyText, setApiKeyText] = useState('');
  const [removeKey, setRemoveKey] = useState(false);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setValues(initial(server, defaultTenantId ?? tenants[0]?.id ?? null));
      setApiKeyText('');
      setRemoveKey(false);
      dialog.showModal();
    }
    if (!open && dialog.open) dialog.close();
  }, [open, server, defaultTenantId, tenants]);

  const set = <K extends keyof ServerFormValues>(key: K, value: ServerFormValues[K]) => setValues((v) => ({ ...v, [key]: value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({ ...values, apiKey: removeKey ? null : apiKeyText.trim() === '' ? undefined : apiKeyText.trim() });
  }

  const field = 'mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm';
  return (
    <dialog ref={ref} onCancel={onCancel} aria-labelledby="server-form-title" className="m-auto w-[min(34rem,calc(100vw-2rem))] rounded-xl p-0 shadow-xl">
      <form onSubmit={submit} className="space-y-3 p-5">
        <h2 id="server-form-title" className="text-lg font-semibold">{server ? `Edit ${server.name}` : 'Add an inference server'}</h2>
        {server ? null : (
          <label className="block text-sm font-medium">
            Tenant
            <select required value={values.tenantId} onChange={(e) => set('tenantId', e.target.value)} className={field}>
              {tenants.map((t) => (
                <option key={t.id} value={t.id}>{t.name}</option>
              ))}
            </select>
          </label>
        )}
        <label className="block text-sm font-medium">
          Name
          <input required maxLength={100} value={values.name} onChange={(e) => set('name', e.target.value)} className={field} />
        </label>
        <label className="block text-sm font-medium">
          Kind
          <select value={values.kind} onChange={(e) => set('kind', e.target.value as ServerKind)} className={field}>
            {KINDS.map((k) => (
              <option key={k} value={k}>{KIND_TABLE[k].label}</option>
            ))}
          </select>
          <span className="mt-1 block text-xs font-normal text-slate-500">Reads {KIND_TABLE[values.kind].reads} under the base URL.</span>
        </label>
        <label className="block text-sm font-medium">
          Base URL <span className="font-normal text-slate-500">(a path prefix is kept)</span>
          <input required type="url" value={values.baseUrl} placeholder={KIND_TABLE[values.kind].example} onChange={(e) => set('baseUrl', e.target.value)} className={field} />
        </label>
        <label className="block text-sm font-medium">
          Poll every (seconds, 10–3600)
          <input required type="number" min={10} max={3600} step={1} value={values.pollIntervalSeconds} onChange={(e) => set('pollIntervalSeconds', Number(e.target.value))} className={field} />
        </label>
        <label className="block text-sm font-medium">
          API key <span className="font-normal text-slate-500">({server?.hasApiKey ? 'stored; type a new one to replace it' : 'optional, sent as Bearer'})</span>
          <input type="password" autoComplete="off" value={apiKeyText} disabled={removeKey} onChange={(e) => setApiKeyText(e.target.value)} className={field} />
        </label>
        {server?.hasApiKey ? (
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={removeKey} onChange={(e) => setRemoveKey(e.target.checked)} /> Remove the stored API key
          </label>
        ) : null}
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={values.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled (polled on its interval)
        </label>
        {error ? <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">{error}</p> : null}
        <div className="flex justify-end gap-2 pt-2">
          <button type="button" onClick={onCancel} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">Cancel</button>
          <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50">
            {pending ? 'Saving…' : server ? 'Save changes' : 'Add server'}
          </button>
        </div>
      </form>
    </dialog>
  );
}

function initial(server: ServerView | null, tenantId: string | null): ServerFormValues {
  return server
    ? { tenantId: server.tenantId, name: server.name, kind: server.kind, baseUrl: server.baseUrl, pollIntervalSeconds: server.pollIntervalSeconds, enabled: server.enabled, apiKey: undefined }
    : { tenantId: tenantId ?? '', name: '', kind: 'vllm', baseUrl: '', pollIntervalSeconds: 30, enabled: true, apiKey: undefined };
}
