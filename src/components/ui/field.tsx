import { type ReactNode, useId } from 'react';

/** The look of every text input and select in a form (full width unless the field says `fit`). */
const INPUT_CLASS = 'mt-1 block rounded-md border border-slate-300 px-3 py-2 text-sm';

/** What a {@link Field} hands its control so the label, help and error are tied to it. */
export interface ControlProps {
  id: string;
  className: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
}

/**
 * A labelled form control: a visible `<label for>`, the control, a line of help and an error, the last two read out
 * with the control (`aria-describedby`); an error is also announced when it appears. `hint` is short and part of the
 * label ("optional"); `help` explains; `fit` sizes the control to its content (a short select).
 * The control is rendered by `children` with the props it must spread.
 */
export function Field({
  label,
  hint,
  help,
  error,
  fit = false,
  className,
  children,
}: {
  label: ReactNode;
  hint?: string;
  help?: ReactNode;
  error?: string | null;
  fit?: boolean;
  className?: string;
  children(control: ControlProps): ReactNode;
}) {
  const id = useId();
  const describedBy = [help ? `${id}-help` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
        {hint ? <span className="font-normal text-slate-500"> ({hint})</span> : null}
      </label>
      {children({
        id,
        className: fit ? INPUT_CLASS : `${INPUT_CLASS} w-full`,
        'aria-describedby': describedBy || undefined,
        'aria-invalid': error ? true : undefined,
      })}
      {help ? (
        <p id={`${id}-help`} className="mt-1 text-xs text-slate-500">
          {help}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} role="alert" className="mt-1 text-xs text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}
