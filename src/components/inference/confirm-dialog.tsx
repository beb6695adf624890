'use client';
import { type ReactNode, useEffect, useRef } from 'react';

/** Asks before a destructive action. A native modal dialog: it traps focus and closes on Escape. */
export function ConfirmDialog({ open, title, children, confirmLabel, onCancel, onConfirm }: { open: boolean; title: string; children: ReactNode; confirmLabel: string; onCancel(): void; onConfirm(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} onCancel={onCancel} aria-labelledby="confirm-title" className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl p-0 shadow-xl">
      <div className="space-y-4 p-5">
        <h2 id="confirm-title" className="text-lg font-semibold">{title}</h2>
        <div className="text-sm text-slate-600">{children}</div>
        <div className="flex justify-end gap-2">
          <button type="button" onClick={onCancel} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">Cancel</button>
          <button type="button" onClick={onConfirm} className="rounded-md bg-red-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-red-500">{confirmLabel}</button>
        </div>
      </div>
    </dialog>
  );
}
