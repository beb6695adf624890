import type { ReactNode } from 'react';

// Whole class names written out: Tailwind emits only the classes it can read in the source.
const MIN_WIDTH = { '36rem': 'sm:min-w-[36rem]', '40rem': 'sm:min-w-[40rem]', '44rem': 'sm:min-w-[44rem]' } as const;

// Below `sm` each row is a stacked block of "HEADER value" lines (the header from the cell's data-label), so no
// table scrolls sideways on a phone. Explicit roles keep the table semantics that a changed `display` can drop.
const STACK_CELL =
  'max-sm:flex max-sm:gap-3 max-sm:py-0.5 max-sm:whitespace-normal max-sm:break-words max-sm:before:w-28 max-sm:before:shrink-0 max-sm:before:text-xs max-sm:before:font-semibold max-sm:before:uppercase max-sm:before:tracking-wide max-sm:before:text-slate-600 max-sm:before:content-[attr(data-label)]';

/** One column: its header, and how a row fills its cell. */
export interface Column<Row> {
  header: string;
  /** The header is read by screen readers but not shown (an "Actions" column of buttons). */
  hideHeader?: boolean;
  /** Classes of this column's cells (font, colour, alignment, wrapping). */
  className?: string | ((row: Row) => string);
  /** A tooltip for the cell, such as the exact time behind a relative one. */
  title?(row: Row): string | undefined;
  cell(row: Row): ReactNode;
}

/**
 * The table every page uses: column headers with `scope="col"`, one row per item, horizontal scrolling on narrow
 * screens. `framed` draws its own card (a table that is the page's main content); without it, it sits in one.
 * `label` names the table for screen readers. `rowTestId` keeps rows findable by tests; `className` places it
 * (margins). `actions` fills a last, right-aligned column of row buttons.
 */
export function Table<Row>({
  columns,
  rows,
  rowKey,
  label,
  framed = false,
  minWidth,
  rowTestId,
  className = '',
  actions,
}: {
  columns: ReadonlyArray<Column<Row> | false>;
  rows: readonly Row[];
  rowKey(row: Row): string;
  label?: string;
  framed?: boolean;
  minWidth?: keyof typeof MIN_WIDTH;
  rowTestId?(row: Row): string;
  className?: string;
  actions?(row: Row): ReactNode;
}) {
  const shown = columns.filter((c): c is Column<Row> => c !== false);
  const pad = framed ? 'sm:px-3 sm:py-2' : 'sm:py-1.5 sm:pr-3 sm:last:pr-0';
  return (
    // Focusable so a keyboard can scroll it when it is wider than its card (axe: scrollable-region-focusable).
    <div tabIndex={0} className={`sm:overflow-x-auto ${framed ? 'rounded-xl border border-slate-200 bg-white shadow-sm max-sm:px-3' : ''} ${className}`}>
      <table role="table" className={`w-full text-left text-sm max-sm:block ${minWidth ? MIN_WIDTH[minWidth] : ''}`}>
        {label ? <caption className="sr-only">{label}</caption> : null}
        <thead role="rowgroup" className={`text-xs uppercase tracking-wide text-slate-600 max-sm:sr-only ${framed ? 'bg-slate-50' : ''}`}>
          <tr role="row">
            {shown.map((c) => (
              <th key={c.header} role="columnheader" scope="col" className={`${pad} font-semibold`}>
                {c.hideHeader ? <span className="sr-only">{c.header}</span> : c.header}
              </th>
            ))}
            {actions ? (
              <th role="columnheader" scope="col" className={pad}>
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody role="rowgroup" className="max-sm:block">
          {rows.map((row) => (
            <tr key={rowKey(row)} role="row" data-testid={rowTestId?.(row)} className="border-t border-slate-100 align-top max-sm:block max-sm:py-2">
              {shown.map((c) => (
                <td
                  key={c.header}
                  role="cell"
                  data-label={c.hideHeader ? undefined : c.header}
                  title={c.title?.(row)}
                  className={`${pad} ${typeof c.className === 'function' ? c.className(row) : (c.className ?? '')} ${STACK_CELL}`}
                >
                  {c.cell(row)}
                </td>
              ))}
              {actions ? (
                <td role="cell" className={`${pad} whitespace-nowrap text-right max-sm:block max-sm:whitespace-normal max-sm:pt-1 max-sm:text-left`}>
                  {actions(row)}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
