'use client';
import { type FormEvent, type ReactNode, useEffect, useId, useRef } from 'react';

const WIDTH = { sm: 'w-[min(28rem,calc(100vw-2rem))]', md: 'w-[min(34rem,calc(100vw-2rem))]' } as const;

/**
 * A modal dialog driven by `open`. It is the native `<dialog>` opened with `showModal()`, so the browser keeps focus
 * inside it and moves focus to its first control; Escape asks `onCancel` (the parent decides, so state and screen
 * never disagree); on close, focus goes back to what had it before (usually the button that opened it).
 * `onOpen` runs each time it opens, for forms that start blank. With `onSubmit`, the body is a `<form>`.
 */
export function Dialog({
  open,
  title,
  width = 'sm',
  onOpen,
  onCancel,
  onSubmit,
  children,
}: {
  open: boolean;
  title: ReactNode;
  width?: keyof typeof WIDTH;
  onOpen?(): void;
  onCancel(): void;
  onSubmit?(event: FormEvent): void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // The latest onOpen without re-running the effect when the parent passes a new closure.
  const onOpenRef = useRef(onOpen);
  useEffect(() => {
    onOpenRef.current = onOpen;
  });
  const returnFocus = useRef<Element | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      returnFocus.current = document.activeElement;
      onOpenRef.current?.();
      dialog.showModal();
    }
    if (!open && dialog.open) {
      dialog.close();
      const previous = returnFocus.current;
      returnFocus.current = null;
      if (previous instanceof HTMLElement && previous.isConnected) previous.focus();
    }
  }, [open]);

  const body = (
    <>
      <h2 id={titleId} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </>
  );
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-modal="true"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
      className={`m-auto ${WIDTH[width]} rounded-xl p-0 shadow-xl`}
    >
      {onSubmit ? (
        <form onSubmit={onSubmit} className="space-y-4 p-5">
          {body}
        </form>
      ) : (
        <div className="space-y-4 p-5">{body}</div>
      )}
    </dialog>
  );
}

const TONE = {
  danger: 'bg-red-600 hover:bg-red-500',
  warning: 'bg-[#b45309] hover:bg-[#92400e]',
  primary: 'bg-indigo-600 hover:bg-indigo-500',
} as const;

/** Cancel and the dialog's one action, right-aligned. Without `onConfirm` the action submits the dialog's form. */
export function DialogActions({
  label,
  tone,
  onCancel,
  onConfirm,
  disabled = false,
}: {
  label: string;
  tone: keyof typeof TONE;
  onCancel(): void;
  onConfirm?(): void;
  disabled?: boolean;
}) {
  return (
    <div className="flex justify-end gap-2 pt-1">
      <button type="button" onClick={onCancel} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
        Cancel
      </button>
      <button
        type={onConfirm ? 'button' : 'submit'}
        onClick={onConfirm}
        disabled={disabled}
        className={`rounded-md px-3 py-1.5 text-sm font-semibold text-[#fff] disabled:opacity-50 ${TONE[tone]}`}
      >
        {label}
      </button>
    </div>
  );
}
