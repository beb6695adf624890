import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/schema';
import type { WindowAggregate } from './alert-condition';
import { METRICS, METRIC_KEYS } from './alert-metrics';
import type { MetricColumn } from './alert-metrics';

/** One (rule, server) pair and what its samples said over the rule's window. */
export interface PairAggregate extends WindowAggregate {
  ruleId: string;
  serverId: string;
  serverName: string;
}

interface PairRow {
  rule_id: string;
  server_id: string;
  server_name: string;
  metric: string;
  window_minutes: number | string;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const COLUMNS = new Set<string>(METRIC_KEYS.map((key) => METRICS[key].column));

/**
 * Aggregates samples for a set of (rule, server) pairs — `pairs` is a SELECT of rule_id, server_id, server_name,
 * metric (column name) and window_minutes — with a fixed number of statements whatever the number of rules or
 * servers, and reading each sample once:
 *
 * 1. the pairs themselves;
 * 2. one scan of the samples of the pairs' servers over the longest window, grouped by server and by "ring": the
 *    rules' distinct windows cut (now − longest, now] into rings (newest first), and a window of the i-th size is
 *    rings 0…i. Per ring and metric the scan keeps the non-null count, sum, min, max and the newest non-null time;
 * 3. the rows at those newest times (one indexed lookup per server and time), for `last`.
 *
 * Each pair's window is then the sum of its rings, in memory. A pair's window is (now − window, now]; null values
 * (a metric the server's kind lacks, a failed poll) are not data; `last` is the newest non-null value (the greater
 * sample id on a tie). Pairs with no data come back with samples = 0. The same SQL serves SQLite and PostgreSQL but
 * for the lookup of step 3, whose list of (server, time) goes in as one JSON parameter.
 */
async function aggregate(db: Kysely<Database>, pairsQuery: RawBuilder<unknown>, now: number): Promise<PairAggregate[]> {
  const pairs = (await sql<PairRow>`${pairsQuery}`.execute(db)).rows;
  if (pairs.length === 0) return [];

  const windows = [...new Set(pairs.map((p) => Number(p.window_minutes)))].sort((a, b) => a - b);
  const ringOf = new Map(windows.map((w, i) => [w, i]));
  const longest = windows[windows.length - 1] as number;
  const columns = [...new Set(pairs.map((p) => p.metric))].filter((c) => COLUMNS.has(c)) as MetricColumn[];
  if (columns.length === 0) return pairs.map((p) => ({ ruleId: p.rule_id, serverId: p.server_id, serverName: p.server_name, samples: 0, avg: null, min: null, max: null, last: null }));

  const at = (minutes: number) => sql`CAST(${now - minutes * 60_000} AS BIGINT)`;
  const perColumn = columns.map((c, j) => {
    const v = sql`CAST(x.${sql.ref(c)} AS DOUBLE PRECISION)`;
    return sql`COUNT(x.${sql.ref(c)}) AS ${sql.ref(`n${j}`)}, SUM(${v}) AS ${sql.ref(`s${j}`)}, MIN(${v}) AS ${sql.ref(`lo${j}`)},
               MAX(${v}) AS ${sql.ref(`hi${j}`)}, MAX(CASE WHEN x.${sql.ref(c)} IS NOT NULL THEN x.at END) AS ${sql.ref(`t${j}`)}`;
  });
  const statistics = sql.join(perColumn, sql`, `);
  // One range per ring, each grouped by server: every range reads its samples in (server_id, at) index order, so
  // the grouping needs no sort, and together they read each sample of the longest window once.
  const perRing = windows.map(
    (w, i) => sql`
      SELECT x.server_id AS server_id, ${sql.lit(i)} AS ring, ${statistics}
      FROM inference_samples x
      WHERE x.at > ${at(w)} AND x.at <= ${i === 0 ? sql`CAST(${now} AS BIGINT)` : at(windows[i - 1] as number)}
        AND x.server_id IN (SELECT server_id FROM (${pairsQuery}) p)
      GROUP BY x.server_id`,
  );
  const rings = await sql<Record<string, unknown>>`${sql.join(perRing, sql` UNION ALL `)}`.execute(db);

  // Per server, one flat array per statistic, indexed [ring * columns + column].
  const width = windows.length * columns.length;
  const cells = new Map<string, { n: Float64Array; sum: Float64Array; min: Float64Array; max: Float64Array; newest: Float64Array }>();
  for (const row of rings.rows) {
    const serverId = String(row.server_id);
    let cell = cells.get(serverId);
    if (!cell) {
      cell = { n: new Float64Array(width), sum: new Float64Array(width), min: new Float64Array(width).fill(Number.NaN), max: new Float64Array(width).fill(Number.NaN), newest: new Float64Array(width).fill(Number.NaN) };
      cells.set(serverId, cell);
    }
    const offset = Number(row.ring) * columns.length;
    for (let j = 0; j < columns.length; j++) {
      cell.n[offset + j] = Number(row[`n${j}`] ?? 0);
      cell.sum[offset + j] = num(row[`s${j}`]) ?? 0;
      cell.min[offset + j] = num(row[`lo${j}`]) ?? Number.NaN;
      cell.max[offset + j] = num(row[`hi${j}`]) ?? Number.NaN;
      cell.newest[offset + j] = num(row[`t${j}`]) ?? Number.NaN;
    }
  }

  const partial = pairs.map((p) => {
    const j = columns.indexOf(p.metric as MetricColumn);
    const upTo = ringOf.get(Number(p.window_minutes)) ?? 0;
    const cell = cells.get(p.server_id);
    let n = 0;
    let sum = 0;
    let min = Number.NaN;
    let max = Number.NaN;
    let newestAt = Number.NaN;
    for (let r = 0; cell && j >= 0 && r <= upTo; r++) {
      const k = r * columns.length + j;
      const count = cell.n[k] ?? 0;
      if (count === 0) continue;
      n += count;
      sum += cell.sum[k] ?? 0;
      min = Number.isNaN(min) ? (cell.min[k] ?? Number.NaN) : Math.min(min, cell.min[k] ?? min);
      max = Number.isNaN(max) ? (cell.max[k] ?? Number.NaN) : Math.max(max, cell.max[k] ?? max);
      // Rings run newest first: the first ring with data holds the window's newest value.
      if (Number.isNaN(newestAt)) newestAt = cell.newest[k] ?? Number.NaN;
    }
    return { p, n, sum, min, max, newestAt };
  });

  const wanted = new Map<string, Set<number>>();
  for (const { p, n, newestAt } of partial) {
    if (n === 0 || Number.isNaN(newestAt)) continue;
    const times = wanted.get(p.server_id) ?? new Set<number>();
    times.add(newestAt);
    wanted.set(p.server_id, times);
  }
  const lastValues = await newestValues(db, columns, wanted);

  return partial.map(({ p, n, sum, min, max, newestAt }) => {
    const base = { ruleId: p.rule_id, serverId: p.server_id, serverName: p.server_name };
    if (n === 0) return { ...base, samples: 0, avg: null, min: null, max: null, last: null };
    return {
      ...base,
      samples: n,
      avg: sum / n,
      min: Number.isNaN(min) ? null : min,
      max: Number.isNaN(max) ? null : max,
      last: lastValues.get(`${p.server_id}\u0000${newestAt}\u0000${p.metric}`) ?? null,
    };
  });
}

/**
 * The value of each column at its newest non-null time per server: the rows at those (server, time) pairs, read
 * through the (server_id, at) index in one statement. On a tie in time the greater sample id wins.
 */
async function newestValues(db: Kysely<Database>, columns: MetricColumn[], wanted: Map<string, Set<number>>): Promise<Map<string, number>> {
  const keys: Array<[string, number]> = [];
  for (const [serverId, times] of wanted) for (const t of times) keys.push([serverId, t]);
  const values = new Map<string, number>();
  if (keys.length === 0) return values;
  const selected = sql.join(columns.map((c) => sql`x.${sql.ref(c)} AS ${sql.ref(c)}`), sql`, `);
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

/**
 * Every enabled rule of every tenant against each server in its scope (one server, or every enabled server of
 * the tenant), with a number of statements that does not depend on how many rules or servers there are.
 */
export function aggregateEnabledRules(db: Kysely<Database>, now: number): Promise<PairAggregate[]> {
  const pairs = sql`
    SELECT r.id AS rule_id, s.id AS server_id, s.name AS server_name, r.metric AS metric, r.window_minutes AS window_minutes
    FROM alert_rules r
    JOIN inference_servers s
      ON s.tenant_id = r.tenant_id AND s.enabled = 1 AND (r.server_id IS NULL OR r.server_id = s.id)
    WHERE r.enabled = 1`;
  return aggregate(db, pairs, now);
}

/** A rule that is not saved yet, against the enabled servers of its scope (the preview before saving). */
export function aggregateDraft(
  db: Kysely<Database>,
  now: number,
  draft: { tenantId: string; column: MetricColumn; windowMinutes: number; serverId: string | null },
): Promise<PairAggregate[]> {
  const scope = draft.serverId === null ? sql`` : sql` AND s.id = ${draft.serverId}`;
  const pairs = sql`
    SELECT CAST('draft' AS TEXT) AS rule_id, s.id AS server_id, s.name AS server_name,
           CAST(${sql.lit(draft.column)} AS TEXT) AS metric, CAST(${sql.lit(Math.trunc(draft.windowMinutes))} AS INTEGER) AS window_minutes
    FROM inference_servers s
    WHERE s.tenant_id = ${draft.tenantId} AND s.enabled = 1${scope}`;
  return aggregate(db, pairs, now);
}
