/**
 * Tables as every benchmark prints them: one row per figure, with the baseline measured in the same run, the
 * candidate, their ratio and — for the figures the issue sets a target on — PASS or FAIL. Every table is also
 * kept, so run.ts can write them to bench/results and into docs/performance.md.
 */

export type Better = 'higher' | 'lower';

export interface Row {
  metric: string;
  baseline: string;
  candidate: string;
  ratio: string;
  target: string;
  verdict: 'PASS' | 'FAIL' | '';
}

export interface Table {
  id: string;
  title: string;
  /** What was measured against what, in one or two sentences. */
  note: string;
  headers: { baseline: string; candidate: string };
  rows: Row[];
}

const tables: Table[] = [];

export function allTables(): readonly Table[] {
  return tables;
}

export function newTable(id: string, title: string, note: string, headers: { baseline: string; candidate: string }): Table {
  const table: Table = { id, title, note, headers, rows: [] };
  tables.push(table);
  return table;
}

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

/**
 * Adds a compared figure. `limit` (optional) is the target on candidate / baseline: at least `limit`
 * when higher is better, at most `limit` when lower is better.
 */
export function compare(
  table: Table,
  metric: string,
  baseline: number,
  candidate: number,
  options: { unit?: string; digits?: number; target?: { op: '>=' | '<=' | '<'; limit: number } } = {},
): boolean {
  const unit = options.unit ? ` ${options.unit}` : '';
  const ratio = candidate / baseline;
  let verdict: Row['verdict'] = '';
  if (options.target) {
    const { op, limit } = options.target;
    const ok = op === '>=' ? ratio >= limit : op === '<=' ? ratio <= limit : ratio < limit;
    verdict = ok ? 'PASS' : 'FAIL';
  }
  table.rows.push({
    metric,
    baseline: `${fmt(baseline, options.digits)}${unit}`,
    candidate: `${fmt(candidate, options.digits)}${unit}`,
    ratio: Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a',
    target: options.target ? `${options.target.op} ${options.target.limit}` : '',
    verdict,
  });
  return verdict !== 'FAIL';
}

/** A figure without a baseline (context, or an absolute target such as "p95 < 200 ms"). */
export function note(table: Table, metric: string, value: string, options: { target?: string; ok?: boolean; baseline?: string; ratio?: string } = {}): void {
  table.rows.push({
    metric,
    baseline: options.baseline ?? '',
    candidate: value,
    ratio: options.ratio ?? '',
    target: options.target ?? '',
    verdict: options.ok === undefined ? '' : options.ok ? 'PASS' : 'FAIL',
  });
}

function columns(table: Table): string[][] {
  return [
    ['figure', table.headers.baseline, table.headers.candidate, 'ratio', 'target', 'verdict'],
    ...table.rows.map((r) => [r.metric, r.baseline, r.candidate, r.ratio, r.target, r.verdict]),
  ];
}

export function renderText(table: Table): string {
  const cells = columns(table);
  const widths = (cells[0] ?? []).map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `│ ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const [head, ...body] = cells;
  return [`\n${table.title}`, table.note, rule('┌', '┬', '┐'), line(head ?? []), rule('├', '┼', '┤'), ...body.map(line), rule('└', '┴', '┘')].join('\n');
}

export function renderMarkdown(table: Table): string {
  const cells = columns(table);
  const [head, ...body] = cells;
  const row = (r: string[]) => `| ${r.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [`### ${table.title}`, '', table.note, '', row(head ?? []), row((head ?? []).map(() => '---')), ...body.map(row), ''].join('\n');
}
