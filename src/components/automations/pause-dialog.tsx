'use client';
import { type FormEvent, useState } from 'react';
import { Dialog, DialogActions } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';

/** Asks for an optional reason and end time before pausing. */
export function PauseDialog({
  name,
  open,
  onCancel,
  onConfirm,
}: {
  name: string;
  open: boolean;
  onCancel(): void;
  onConfirm(input: { reason?: string; until?: string }): void;
}) {
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [untilError, setUntilError] = useState<string | null>(null);

  // Checked here, before the dialog closes: a time already past would resume at once.
  function submit(event: FormEvent) {
    event.preventDefault();
    const at = until ? new Date(until) : null;
    if (at && !(at.getTime() > Date.now())) {
      setUntilError(Number.isNaN(at.getTime()) ? 'Not a date and time' : 'That time has passed: pick a later one, or leave it empty to pause until resumed');
      return;
    }
    onConfirm({ reason: reason.trim() || undefined, until: at ? at.toISOString() : undefined });
  }

  return (
    <Dialog
      open={open}
      title={`Pause ${name}?`}
      onOpen={() => {
        setReason('');
        setUntil('');
        setUntilError(null);
      }}
      onCancel={onCancel}
      onSubmit={submit}
    >
      <p className="text-sm text-slate-600">Scheduled runs stop on every instance until resumed. A run in flight finishes. Run now still works.</p>
      <Field label="Reason" hint="optional, shown to everyone">
        {(control) => <input {...control} name="reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />}
      </Field>
      <Field label="Resume automatically at" hint={`optional, your time: ${localZone()}`} error={untilError}>
        {(control) => (
          <input
            {...control}
            name="until"
            type="datetime-local"
            value={until}
            onChange={(e) => {
              setUntil(e.target.value);
              setUntilError(null);
            }}
          />
        )}
      </Field>
      <DialogActions label="Pause" tone="warning" onCancel={onCancel} />
    </Dialog>
  );
}

/** The browser's time zone as the operator reads it: "Europe/Berlin, UTC+01:00". */
function localZone(): string {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const minutes = -new Date().getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${name}, UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
