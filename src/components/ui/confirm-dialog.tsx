'use client';
import type { ReactNode } from 'react';
import { Dialog, DialogActions } from './dialog';

/**
 * Asks before a destructive action: every page's "are you sure?" (never `window.confirm`, which cannot be styled,
 * says nothing about the consequences and blocks the page). `children` says what will happen.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onCancel,
  onConfirm,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onCancel(): void;
  onConfirm(): void;
}) {
  return (
    <Dialog open={open} title={title} onCancel={onCancel}>
      <div className="text-sm text-slate-600">{children}</div>
      <DialogActions label={confirmLabel} tone="danger" onCancel={onCancel} onConfirm={onConfirm} />
    </Dialog>
  );
}
