'use client';
import { type FormEvent, useState } from 'react';
import type { CreateSessionInput } from '@/server/browser/browser.schemas';

/** Opens a session: tenant, start URL and optional timeouts (in seconds here, milliseconds on the wire). */
export function CreateSessionForm({
  tenants,
  pending,
  onCreate,
}: {
  tenants: Array<{ id: string; name: string }>;
  pending: boolean;
  onCreate(input: CreateSessionInput): void;
}) {
  const [tenantId, setTenantId] = useState('');
  const [url, setUrl] = useState('');
  const [idleSeconds, setIdleSeconds] = useState('');
  const [lifetimeSeconds, setLifetimeSeconds] = useState('');
  const chosenTenant = tenantId || tenants[0]?.id || '';

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!chosenTenant) return;
    onCreate({
      tenantId: chosenTenant,
      url: url.trim(),
      idleTimeoutMs: idleSeconds ? Math.round(Number(idleSeconds) * 1000) : undefined,
      maxLifetimeMs: lifetimeSeconds ? Math.round(Number(lifetimeSeconds) * 1000) : undefined,
    });
  }

  if (tenants.length === 0) {
    return <p className="text-sm text-slate-500">Sessions belong to a tenant; create a tenant first to open one.</p>;
  }
  return (
    <form
      onSubmit={submit}
      aria-label="Open a browser session"
      className="flex flex-wrap items-end gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <label className="text-sm font-medium">
        Tenant
        <select
          value={chosenTenant}
          onChange={(e) => setTenantId(e.target.value)}
          className="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        >
          {tenants.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <label className="min-w-[16rem] flex-1 text-sm font-medium">
        Start URL <span className="font-normal text-slate-500">(http or https)</span>
        <input
          type="url"
          required
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="https://example.com/"
          className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        />
      </label>
      <label className="text-sm font-medium">
        Idle timeout (s)
        <input
          type="number"
          min={1}
          step={1}
          value={idleSeconds}
          onChange={(e) => setIdleSeconds(e.target.value)}
          placeholder="default"
          className="mt-1 block w-28 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        />
      </label>
      <label className="text-sm font-medium">
        Max lifetime (s)
        <input
          type="number"
          min={1}
          step={1}
          value={lifetimeSeconds}
          onChange={(e) => setLifetimeSeconds(e.target.value)}
          placeholder="default"
          className="mt-1 block w-28 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        />
      </label>
      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-[#fff] hover:bg-indigo-500 disabled:opacity-50"
      >
        {pending ? 'Opening…' : 'Open session'}
      </button>
    </form>
  );
}
