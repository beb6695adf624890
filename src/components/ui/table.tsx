import type { ReactNode } from 'react';

// Whole class names written out: Tailwind emits only the classes it can read in the source.
const MIN_WIDTH = { '36rem': 'min-w-[36rem]', '40rem': 'min-w-[40rem]', '44rem': 'min-w-[44rem]' } as const;

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
export function Table<Row>({ columns, rows, rowKey, label, framed = false, minWidth, rowTestId, className = '', actions }: { columns: ReadonlyArray<Column<Row> | false>; rows: readonly Row[]; rowKey(row: Row): string; label?: string; framed?: boolean; minWidth?: keyof typeof MIN_WIDTH; rowTestId?(row: Row): string; className?: string; actions?(row: Row): ReactNode }) {
  const shown = columns.filter((c): c is Column<Row> => c !== false);
  const pad = framed ? 'px-3 py-2' : 'py-1.5 pr-3 last:pr-0';
  return (
    <div className={`overflow-x-auto ${framed ? 'rounded-xl border border-slate-200 bg-white shadow-sm' : ''} ${className}`}>
      <table className={`w-full text-left text-sm ${minWidth ? MIN_WIDTH[minWidth] : ''}`}>
        {label ? <caption className="sr-only">{label}</caption> : null}
        <thead className={`text-xs uppercase tracking-wide text-slate-500 ${framed ? 'bg-slate-50' : ''}`}>
          <tr>
            {shown.map((c) => (
              <th key={c.header} scope="col" className={`${pad} font-semibold`}>
                {c.hideHeader ? <span className="sr-only">{c.header}</span> : c.header}
              </th>
            ))}
            {actions ? (
              <th scope="col" className={pad}>
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} data-testid={rowTestId?.(row)} className="border-t border-slate-100 align-top">
              {shown.map((c) => (
                <td key={c.header} title={c.title?.(row)} className={`${pad} ${typeof c.className === 'function' ? c.className(row) : (c.className ?? '')}`}>
                  {c.cell(row)}
                </td>
              ))}
              {actions ? <td className={`${pad} whitespace-nowrap text-right`}>{actions(row)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
