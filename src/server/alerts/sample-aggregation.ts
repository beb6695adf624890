import 'server-only';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/schema';
import { type Aggregation, METRICS, METRIC_KEYS, type MetricColumn } from '../../shared/alert-metrics';

/** One window to aggregate: a rule (or a draft) against one server, with what the rule reads of it. */
export interface WindowQuery {
  ruleId: string;
  serverId: string;
  serverName: string;
  column: MetricColumn;
  windowMinutes: number;
  aggregation: Aggregation;
}

/**
 * What the samples said over each window, aligned with the queries: `values[i]` is query i's aggregation of the
 * non-null values of its metric in its window (NaN when there are none); with `countSamples`, `samples[i]` is how
 * many there were.
 */
export interface WindowValues {
  values: Float64Array;
  samples?: Float64Array;
}

/** Up to this many distinct servers the scan reads each server's range; above, the whole window once. */
const FILTER_SERVERS_UP_TO = 500;

/** The statistics kept per metric column and ring; which of them a column needs depends on its rules. */
type Statistic = 'n' | 'sum' | 'min' | 'max' | 'newest';

const STATISTICS: Record<Aggregation, Statistic> = { avg: 'sum', min: 'min', max: 'max', last: 'newest' };

function statisticSql(statistic: Statistic, column: RawBuilder<unknown>): RawBuilder<unknown> {
  switch (statistic) {
    case 'n':
      return sql`COUNT(${column})`;
    case 'sum':
      return sql`SUM(${column})`;
    case 'min':
      return sql`MIN(${column})`;
    case 'max':
      return sql`MAX(${column})`;
    case 'newest':
      return sql`MAX(CASE WHEN ${column} IS NOT NULL THEN x.at END)`;
    default: {
      const never: never = statistic;
      throw new Error(`unknown statistic ${String(never)}`);
    }
  }
}

const COLUMNS = new Set<string>(METRIC_KEYS.map((key) => METRICS[key].column));

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Aggregates many windows with a fixed number of statements, whatever the number of rules or servers, reading
 * each sample once:
 *
 * 1. one scan of the samples over the longest window, grouped by server and by "ring": the distinct windows cut
 *    (now − longest, now] into rings, newest first, and a window of the i-th size is rings 0…i. Per ring and
 *    metric column the scan keeps only what the column's windows read: the non-null count and sum (avg), the min,
 *    the max, the newest non-null time (last);
 * 2. for `last`, the rows at those newest times (one indexed lookup per server and time).
 *
 * Each window is then the sum of its rings, in memory. A window is (now − window, now]; null values (a metric the
 * server's kind lacks, a failed poll) are not data; `last` is the newest non-null value (the greater sample id on a
 * tie). A handful of servers are read through the (server_id, at) index; a fleet, by reading the window once.
 */
export async function aggregateWindows(
  db: Kysely<Database>,
  queries: WindowQuery[],
  now: number,
  options: { countSamples?: boolean; filterServersUpTo?: number } = {},
): Promise<WindowValues> {
  const samples = new Float64Array(queries.length);
  const values = new Float64Array(queries.length).fill(Number.NaN);
  const result = options.countSamples ? { values, samples } : { values };
  // A metric no sample has (a rule saved by an older version, say) has no data rather than breaking the query.
  const known = queries.filter((q) => COLUMNS.has(q.column));
  if (known.length === 0) return result;
  const windows = [...new Set(known.map((q) => q.windowMinutes))].sort((a, b) => a - b);
  const ringOf = new Map(windows.map((w, i) => [w, i]));

  // Per column, only the statistics its windows read: each costs the scan a function call per sample. The count
  // comes with avg (it weighs the rings' sums) or when asked for; min, max and newest are NaN on an empty ring.
  const needs = new Map<MetricColumn, Set<Statistic>>();
  for (const q of known) {
    const set = needs.get(q.column) ?? new Set<Statistic>(options.countSamples ? ['n'] : []);
    set.add(STATISTICS[q.aggregation]);
    if (q.aggregation === 'avg') set.add('n');
    needs.set(q.column, set);
  }
  const cellsOf: Array<{ column: MetricColumn; statistic: Statistic }> = [];
  const slots = new Map<MetricColumn, Map<Statistic, number>>();
  for (const [column, statistics] of needs) {
    const ofColumn = new Map<Statistic, number>();
    for (const statistic of statistics) {
      ofColumn.set(statistic, cellsOf.length);
      cellsOf.push({ column, statistic });
    }
    slots.set(column, ofColumn);
  }
  const width = cellsOf.length;
  const names = cellsOf.map((_, k) => `c${k}`);

  const servers = [...new Set(known.map((q) => q.serverId))];
  const serverFilter = servers.length <= (options.filterServersUpTo ?? FILTER_SERVERS_UP_TO) ? sql` AND x.server_id IN (${sql.join(servers)})` : sql``;
  const at = (minutes: number) => sql`CAST(${now - minutes * 60_000} AS BIGINT)`;
  const selected = sql.join(
    cellsOf.map((c, k) => sql`${statisticSql(c.statistic, sql`x.${sql.ref(c.column)}`)} AS ${sql.ref(names[k] as string)}`),
    sql`, `,
  );
  // One range per ring, each grouped by server; together they read each sample of the longest window once.
  const perRing = windows.map(
    (w, i) => sql`
      SELECT x.server_id AS server_id, ${sql.lit(i)} AS ring, ${selected}
      FROM inference_samples x
      WHERE x.at > ${at(w)} AND x.at <= ${i === 0 ? sql`CAST(${now} AS BIGINT)` : at(windows[i - 1] as number)}${serverFilter}
      GROUP BY x.server_id`,
  );
  const rows = (await sql<Record<string, unknown>>`${sql.join(perRing, sql` UNION ALL `)}`.execute(db)).rows;

  // Per server, one flat array indexed [ring * width + cell]; NaN where a ring had no value.
  const rings = new Map<string, Float64Array>();
  for (const row of rows) {
    const serverId = String(row.server_id);
    let cells = rings.get(serverId);
    if (!cells) {
      cells = new Float64Array(windows.length * width).fill(Number.NaN);
      rings.set(serverId, cells);
    }
    const offset = Number(row.ring) * width;
    for (let k = 0; k < width; k++) {
      const v = row[names[k] as string];
      cells[offset + k] = v === null || v === undefined ? Number.NaN : Number(v);
    }
  }

  // Each window is the sum of its rings; for `last`, `values` holds the newest time until the lookup below.
  const wanted = new Map<string, Set<number>>();
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i] as WindowQuery;
    const cells = rings.get(q.serverId);
    const ofColumn = slots.get(q.column);
    if (!cells || !ofColumn) continue;
    const upTo = ringOf.get(q.windowMinutes) as number;
    const nSlot = ofColumn.get('n');
    const valueSlot = ofColumn.get(STATISTICS[q.aggregation]) as number;
    let n = 0;
    let acc = Number.NaN;
    for (let r = 0; r <= upTo; r++) {
      const v = cells[r * width + valueSlot] as number;
      if (Number.isNaN(v)) continue; // no non-null value of this metric in this ring (SUM, MIN, MAX are null then)
      if (nSlot !== undefined) n += cells[r * width + nSlot] as number;
      // Rings run newest first: for `last`, the first ring with data holds the window's newest time.
      if (Number.isNaN(acc)) acc = v;
      else if (q.aggregation === 'avg') acc += v;
      else if (q.aggregation === 'min') acc = Math.min(acc, v);
      else if (q.aggregation === 'max') acc = Math.max(acc, v);
    }
    if (Number.isNaN(acc)) continue;
    samples[i] = n;
    values[i] = q.aggregation === 'avg' ? acc / n : acc;
    if (q.aggregation === 'last') {
      let times = wanted.get(q.serverId);
      if (!times) wanted.set(q.serverId, (times = new Set()));
      times.add(acc);
    }
  }

  const lastColumns = [...needs].filter(([, s]) => s.has('newest')).map(([column]) => column);
  const lastValues = await newestValues(db, lastColumns, wanted);
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i] as WindowQuery;
    if (q.aggregation !== 'last' || Number.isNaN(values[i] as number)) continue;
    values[i] = lastValues.get(`${q.serverId}\u0000${values[i]}\u0000${q.column}`) ?? Number.NaN;
  }
  return result;
}

/**
 * The value of each column at its newest non-null time per server: the rows at those (server, time) pairs, read
 * through the (server_id, at) index in one statement. On a tie in time the greater sample id wins.
 */
async function newestValues(db: Kysely<Database>, columns: MetricColumn[], wanted: Map<string, Set<number>>): Promise<Map<string, number>> {
  const keys: Array<[string, number]> = [];
  for (const [serverId, times] of wanted) for (const t of times) keys.push([serverId, t]);
  const values = new Map<string, number>();
  if (keys.length === 0 || columns.length === 0) return values;
  const selected = sql.join(
    columns.map((c) => sql`x.${sql.ref(c)} AS ${sql.ref(c)}`),
    sql`, `,
  );
  // PostgreSQL numbers its parameters ($1); SQLite does not (?). Only this list needs a dialect's own JSON reader.
  const postgres = sql`SELECT ${0}`.compile(db).sql.includes('$1');
  const rows = postgres
    ? await sql<Record<string, unknown>>`
        SELECT x.server_id AS server_id, x.at AS at, x.id AS id, ${selected}
        FROM jsonb_to_recordset(CAST(${JSON.stringify(keys.map(([s, a]) => ({ s, a })))} AS jsonb)) AS k(s text, a bigint)
        JOIN inference_samples x ON x.server_id = k.s AND x.at = k.a`.execute(db)
    : await sql<Record<string, unknown>>`
        SELECT x.server_id AS server_id, x.at AS at, x.id AS id, ${selected}
        FROM json_each(${JSON.stringify(keys)}) k
        JOIN inference_samples x ON x.server_id = json_extract(k.value, '$[0]') AND x.at = json_extract(k.value, '$[1]')`.execute(db);
  const winner = new Map<string, string>();
  for (const row of rows.rows) {
    for (const c of columns) {
      const value = num(row[c]);
      if (value === null) continue;
      const key = `${String(row.server_id)}\u0000${Number(row.at)}\u0000${c}`;
      const id = String(row.id);
      const current = winner.get(key);
      if (current !== undefined && current > id) continue;
      winner.set(key, id);
      values.set(key, value);
    }
  }
  return values;
}
