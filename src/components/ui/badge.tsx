/** One row of a status table: what a badge says and how it looks. */
export interface BadgeEntry {
  label: string;
  className: string;
  dot: string;
  help: string;
}

/**
 * The pill every status table renders (automation states, server and session statuses). `testId` and `value`
 * mark it for tests and styling hooks: `data-testid={testId}` and `data-{valueAttribute}={value}`.
 */
export function Badge({ entry, testId, valueAttribute, value }: { entry: BadgeEntry; testId: string; valueAttribute: 'state' | 'status'; value: string }) {
  return (
    <span
      title={entry.help}
      data-testid={testId}
      {...{ [`data-${valueAttribute}`]: value }}
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${entry.className}`}
    >
      <span aria-hidden="true" className={`h-1.5 w-1.5 rounded-full ${entry.dot}`} />
      {entry.label}
    </span>
  );
}
