'use client';
import { type FormEvent, useEffect, useRef, useState } from 'react';

/** Asks for an optional reason and end time before pausing. A native modal dialog: it traps focus and closes on Escape. */
export function PauseDialog({ name, open, onCancel, onConfirm }: { name: string; open: boolean; onCancel(): void; onConfirm(input: { reason?: string; until?: string }): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setReason('');
      setUntil('');
      dialog.showModal();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);

  function submit(event: FormEvent) {
    event.preventDefault();
    onConfirm({ reason: reason.trim() || undefined, until: until ? new Date(until).toISOString() : undefined });
  }

  return (
    <dialog ref={ref} onCancel={onCancel} aria-labelledby="pause-title" className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl p-0 shadow-xl">
      <form onSubmit={submit} className="space-y-4 p-5">
        <h2 id="pause-title" className="text-lg font-semibold">Pause {name}?</h2>
        <p className="text-sm text-slate-600">Scheduled runs stop on every instance until resumed. A run in flight finishes. Run now still works.</p>
        <label className="block text-sm font-medium">
          Reason <span className="font-normal text-slate-500">(optional, shown to everyone)</span>
          <input name="reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
        </label>
        <label className="block text-sm font-medium">
          Resume automatically at <span className="font-normal text-slate-500">(optional)</span>
          <input name="until" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
        </label>
        <div className="flex justify-end gap-2">
          <button type="button" onClick={onCancel} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">Cancel</button>
          <button type="submit" className="rounded-md bg-amber-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-amber-500">Pause</button>
        </div>
      </form>
    </dialog>
  );
}
