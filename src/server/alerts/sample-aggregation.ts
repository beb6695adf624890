import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/schema';
import type { WindowAggregate } from './alert-condition';
import { METRICS, METRIC_KEYS, type MetricColumn } from './alert-metrics';

/** One (rule, server) pair and what its samples said over the rule's window. */
export interface PairAggregate extends WindowAggregate {
  ruleId: string;
  serverId: string;
  serverName: string;
}

interface AggregateRow {
  rule_id: string;
  server_id: string;
  server_name: string;
  samples: number | string;
  avg_v: number | string | null;
  min_v: number | string | null;
  max_v: number | string | null;
  last_v: number | string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** The rule's metric column of a sample, chosen per row by the pair's `metric` (one query serves every metric). */
const metricValue = sql`CASE p.metric ${sql.join(
  METRIC_KEYS.map((key) => sql`WHEN ${sql.lit(METRICS[key].column)} THEN x.${sql.ref(METRICS[key].column)}`),
  sql` `,
)} END`;

/**
 * Aggregates samples for a set of (rule, server) pairs in one statement, whatever their number: `pairs` is a
 * SELECT of rule_id, server_id, server_name, metric (column name) and window_minutes. Samples are read through the
 * (server_id, at) index, each pair over (now − window, now]. Null values (a metric the server's kind lacks, a failed
 * poll) are not data; `last` is the newest non-null value. Pairs with no data come back with samples = 0.
 * Same SQL on SQLite (≥ 3.25, window functions) and PostgreSQL; casts keep PostgreSQL's parameter types right.
 */
async function aggregate(db: Kysely<Database>, pairs: RawBuilder<unknown>, now: number): Promise<PairAggregate[]> {
  const at = sql`CAST(${now} AS BIGINT)`;
  const result = await sql<AggregateRow>`
    WITH pairs AS (${pairs}),
    points AS (
      SELECT p.rule_id, p.server_id, x.at, x.id AS sample_id, CAST(${metricValue} AS DOUBLE PRECISION) AS v
      FROM pairs p
      JOIN inference_samples x
        ON x.server_id = p.server_id
       AND x.at > ${at} - CAST(p.window_minutes AS BIGINT) * 60000
       AND x.at <= ${at}
    ),
    ranked AS (
      SELECT rule_id, server_id, v,
             ROW_NUMBER() OVER (PARTITION BY rule_id, server_id ORDER BY at DESC, sample_id DESC) AS rn
      FROM points
      WHERE v IS NOT NULL
    )
    SELECT p.rule_id, p.server_id, p.server_name,
           COUNT(k.v) AS samples, AVG(k.v) AS avg_v, MIN(k.v) AS min_v, MAX(k.v) AS max_v,
           MAX(CASE WHEN k.rn = 1 THEN k.v END) AS last_v
    FROM pairs p
    LEFT JOIN ranked k ON k.rule_id = p.rule_id AND k.server_id = p.server_id
    GROUP BY p.rule_id, p.server_id, p.server_name
  `.execute(db);
  return result.rows.map((r) => ({
    ruleId: r.rule_id,
    serverId: r.server_id,
    serverName: r.server_name,
    samples: Number(r.samples),
    avg: num(r.avg_v),
    min: num(r.min_v),
    max: num(r.max_v),
    last: num(r.last_v),
  }));
}

/**
 * Every enabled rule of every tenant against each server in its scope (one server, or every enabled server of
 * the tenant): one statement for the whole evaluation.
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
