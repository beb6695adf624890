'use client';
import { type FormEvent, useState } from 'react';
import { Dialog, DialogActions } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import type { ServerKind } from '@/shared/server-kinds';
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
  const [values, setValues] = useState<ServerFormValues>(() => initial(server, defaultTenantId));
  const [apiKeyText, setApiKeyText] = useState('');
  const [removeKey, setRemoveKey] = useState(false);

  function reset() {
    setValues(initial(server, defaultTenantId ?? tenants[0]?.id ?? null));
    setApiKeyText('');
    setRemoveKey(false);
  }

  const set = <K extends keyof ServerFormValues>(key: K, value: ServerFormValues[K]) => setValues((v) => ({ ...v, [key]: value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({ ...values, apiKey: removeKey ? null : apiKeyText.trim() === '' ? undefined : apiKeyText.trim() });
  }

  return (
    <Dialog open={open} title={server ? `Edit ${server.name}` : 'Add an inference server'} width="md" onOpen={reset} onCancel={onCancel} onSubmit={submit}>
      {server ? null : (
        <Field label="Tenant">
          {(control) => (
            <select {...control} required value={values.tenantId} onChange={(e) => set('tenantId', e.target.value)}>
              {tenants.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <Field label="Name">
        {(control) => <input {...control} required maxLength={100} value={values.name} onChange={(e) => set('name', e.target.value)} />}
      </Field>
      <Field label="Kind" help={`Reads ${KIND_TABLE[values.kind].reads} under the base URL.`}>
        {(control) => (
          <select {...control} value={values.kind} onChange={(e) => set('kind', e.target.value as ServerKind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_TABLE[k].label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Base URL" hint="a path prefix is kept">
        {(control) => (
          <input
            {...control}
            required
            type="url"
            value={values.baseUrl}
            placeholder={KIND_TABLE[values.kind].example}
            onChange={(e) => set('baseUrl', e.target.value)}
          />
        )}
      </Field>
      <Field label="Poll every (seconds, 10–3600)">
        {(control) => (
          <input
            {...control}
            required
            type="number"
            min={10}
            max={3600}
            step={1}
            value={values.pollIntervalSeconds}
            onChange={(e) => set('pollIntervalSeconds', Number(e.target.value))}
          />
        )}
      </Field>
      <Field label="API key" hint={server?.hasApiKey ? 'stored; type a new one to replace it' : 'optional, sent as Bearer'}>
        {(control) => (
          <input {...control} type="password" autoComplete="off" value={apiKeyText} disabled={removeKey} onChange={(e) => setApiKeyText(e.target.value)} />
        )}
      </Field>
      {server?.hasApiKey ? (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={removeKey} onChange={(e) => setRemoveKey(e.target.checked)} /> Remove the stored API key
        </label>
      ) : null}
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={values.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled (polled on its interval)
      </label>
      {error ? (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </p>
      ) : null}
      <DialogActions label={pending ? 'Saving…' : server ? 'Save changes' : 'Add server'} tone="primary" disabled={pending} onCancel={onCancel} />
    </Dialog>
  );
}

function initial(server: ServerView | null, tenantId: string | null): ServerFormValues {
  return server
    ? {
        tenantId: server.tenantId,
        name: server.name,
        kind: server.kind,
        baseUrl: server.baseUrl,
        pollIntervalSeconds: server.pollIntervalSeconds,
        enabled: server.enabled,
        apiKey: undefined,
      }
    : { tenantId: tenantId ?? '', name: '', kind: 'vllm', baseUrl: '', pollIntervalSeconds: 30, enabled: true, apiKey: undefined };
}
