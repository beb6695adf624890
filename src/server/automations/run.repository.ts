import 'server-only';
import { type Kysely, type Selectable, sql } from 'kysely';
import { fromJson, isUniqueViolation, toJson } from '../db/client';
import type { Database, RunOutcome, RunTrigger } from '../db/schema';
import type { Metrics } from './definition';

export interface RunRecord {
  id: string;
  key: string;
  trigger: RunTrigger;
  actor: string | null;
  instanceId: string;
  slot: string | null;
  fence: number;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  outcome: RunOutcome;
  error: string | null;
  metrics: Metrics | null;
}

/** What the view needs from the run history of one automation. */
export interface RunSummary {
  /** Runs in flight now (lease not lapsed). */
  running: RunRecord[];
  /** The newest run, finished or not. */
  latest: RunRecord | null;
  /** The newest finished run (succeeded, failed or abandoned). */
  lastFinished: RunRecord | null;
  /** The newest finished run that recorded metrics. */
  lastWithMetrics: RunRecord | null;
  /** Finished runs that failed or were abandoned, in a row, newest first. */
  consecutiveFailures: number;
  /** Start of the newest scheduled run. */
  lastScheduledStart: number | null;
}

const RECENT = 25;

/**
 * Run records (DESIGN §4.6). Every instance reads the same rows, so every instance shows the same last-run
 * values. The unique (automation_key, slot) index makes a second run of one scheduled slot impossible even if
 * the lock store were to grant it twice.
 */
export class RunRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts a running row and returns it as a record; null when the slot already has a run. */
  async start(
    run: Pick<RunRecord, 'id' | 'key' | 'trigger' | 'actor' | 'instanceId' | 'slot' | 'fence' | 'startedAt'> & { leaseExpiresAt: number },
  ): Promise<RunRecord | null> {
    try {
      await this.db
        .insertInto('automation_runs')
        .values({
          id: run.id,
          automation_key: run.key,
          trigger: run.trigger,
          actor: run.actor,
          instance_id: run.instanceId,
          slot: run.slot,
          fence: run.fence,
          started_at: run.startedAt,
          finished_at: null,
          duration_ms: null,
          outcome: 'running',
          error: null,
          metrics: null,
          lease_expires_at: run.leaseExpiresAt,
        })
        .execute();
      const { id, key, trigger, actor, instanceId, slot, fence, startedAt } = run;
      return {
        id,
        key,
        trigger,
        actor,
        instanceId,
        slot,
        fence,
        startedAt,
        finishedAt: null,
        durationMs: null,
        outcome: 'running',
        error: null,
        metrics: null,
      };
    } catch (error) {
      if (run.slot !== null && isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async renewLease(id: string, leaseExpiresAt: number): Promise<void> {
    await this.db.updateTable('automation_runs').set({ lease_expires_at: leaseExpiresAt }).where('id', '=', id).where('outcome', '=', 'running').execute();
  }

  /**
   * Records the end of a run and returns the finished record. The outcome wins over an `abandoned` mark made while
   * the lease had lapsed.
   */
  async finish(
    run: RunRecord,
    end: { outcome: 'succeeded' | 'failed'; finishedAt: number; durationMs: number; error: string | null; metrics: Metrics | null },
  ): Promise<RunRecord> {
    await this.db
      .updateTable('automation_runs')
      .set({
        outcome: end.outcome,
        finished_at: end.finishedAt,
        duration_ms: end.durationMs,
        error: end.error,
        metrics: end.metrics ? toJson(end.metrics) : null,
      })
      .where('id', '=', run.id)
      .execute();
    return { ...run, ...end };
  }

  /** Closes running rows whose lease lapsed (their instance died) as abandoned. Returns their keys. */
  async abandonLapsed(now: number): Promise<string[]> {
    const lapsed = await this.db
      .selectFrom('automation_runs')
      .select(['id', 'automation_key', 'instance_id', 'started_at'])
      .where('outcome', '=', 'running')
      .where('lease_expires_at', '<', now)
      .execute();
    for (const r of lapsed) {
      await this.db
        .updateTable('automation_runs')
        .set({
          outcome: 'abandoned',
          finished_at: now,
          duration_ms: now - r.started_at,
          error: `Run abandoned: instance ${r.instance_id} stopped renewing its lease`,
        })
        .where('id', '=', r.id)
        .where('outcome', '=', 'running')
        .execute();
    }
    return [...new Set(lapsed.map((r) => r.automation_key))];
  }

  /** At boot: this instance cannot have runs in flight, so any it left running died with the previous process. */
  async abandonOwn(instanceId: string, now: number): Promise<number> {
    const result = await this.db
      .updateTable('automation_runs')
      .set({
        outcome: 'abandoned',
        finished_at: now,
        duration_ms: sql<number>`${now} - started_at`,
        error: `Run abandoned: instance ${instanceId} restarted during the run`,
      })
      .where('instance_id', '=', instanceId)
      .where('outcome', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * One statement serves the whole summary: the newest runs (their lease times say which are still live), and the
   * start of the newest scheduled run alongside each of them — one round trip, which is what a run-now answer
   * waits for on PostgreSQL.
   */
  async summary(key: string, now: number): Promise<RunSummary> {
    const rows = await this.db
      .selectFrom('automation_runs')
      .selectAll('automation_runs')
      // Newest first through the (automation_key, started_at) index, stopping at the first scheduled run (a MAX()
      // with the trigger filter would read every run of the automation).
      .select((eb) =>
        eb
          .selectFrom('automation_runs as s')
          .select('s.started_at')
          .where('s.automation_key', '=', key)
          .where('s.trigger', '=', 'schedule')
          .orderBy('s.started_at', 'desc')
          .limit(1)
          .as('last_scheduled_start'),
      )
      .where('automation_runs.automation_key', '=', key)
      .orderBy('automation_runs.started_at', 'desc')
      .orderBy('automation_runs.id', 'desc')
      .limit(RECENT)
      .execute();
    const recent = rows.map(toRecordWithoutMetrics);
    const running = recent.filter((r, i) => r.outcome === 'running' && Number(rows[i]?.lease_expires_at) >= now);
    const finishedIndexes = recent.flatMap((r, i) => (r.outcome === 'running' ? [] : [i]));
    let consecutiveFailures = 0;
    for (const i of finishedIndexes) {
      if (recent[i]?.outcome === 'succeeded') break;
      consecutiveFailures++;
    }
    const firstFinished = finishedIndexes[0];
    // Only the runs the view shows have their metrics JSON parsed.
    const withMetrics = finishedIndexes.find((i) => rows[i]?.metrics !== null && rows[i]?.metrics !== undefined);
    const withMetricsRow = withMetrics === undefined ? undefined : rows[withMetrics];
    const lastScheduled = rows[0]?.last_scheduled_start;
    return {
      running,
      latest: recent[0] ? withParsedMetrics(recent[0], rows[0]) : null,
      lastFinished: firstFinished === undefined ? null : withParsedMetrics(recent[firstFinished] as RunRecord, rows[firstFinished]),
      lastWithMetrics: withMetricsRow ? toRecord(withMetricsRow) : null,
      consecutiveFailures,
      lastScheduledStart: lastScheduled === null || lastScheduled === undefined ? null : Number(lastScheduled),
    };
  }

  /** History, newest first; `before` is the `startedAt` of the last row of the previous page. */
  async history(key: string, limit: number, before?: { startedAt: number; id: string }): Promise<RunRecord[]> {
    let query = this.db.selectFrom('automation_runs').selectAll().where('automation_key', '=', key);
    if (before) {
      query = query.where((eb) =>
        eb.or([eb('started_at', '<', before.startedAt), eb.and([eb('started_at', '=', before.startedAt), eb('id', '<', before.id)])]),
      );
    }
    const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toRecord);
  }

  async byId(id: string): Promise<RunRecord | null> {
    const row = await this.db.selectFrom('automation_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** Keeps at most `keep` finished runs per automation and none older than `olderThan`. */
  async prune(key: string, keep: number, olderThan: number): Promise<number> {
    const cutoff = await this.db
      .selectFrom('automation_runs')
      .select('started_at')
      .where('automation_key', '=', key)
      .orderBy('started_at', 'desc')
      .offset(keep)
      .limit(1)
      .executeTakeFirst();
    const limit = Math.max(olderThan, cutoff ? cutoff.started_at + 1 : 0);
    const result = await this.db
      .deleteFrom('automation_runs')
      .where('automation_key', '=', key)
      .where('outcome', '!=', 'running')
      .where('started_at', '<', limit)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toRecord(r: Selectable<Database['automation_runs']>): RunRecord {
  return { ...toRecordWithoutMetrics(r), metrics: fromJson<Metrics | null>(r.metrics, null) };
}

/** A record whose metrics are left unread (null), for rows only their outcome and times are needed of. */
function toRecordWithoutMetrics(r: Selectable<Database['automation_runs']>): RunRecord {
  return {
    id: r.id,
    key: r.automation_key,
    trigger: r.trigger,
    actor: r.actor,
    instanceId: r.instance_id,
    slot: r.slot,
    fence: Number(r.fence),
    startedAt: Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    outcome: r.outcome,
    error: r.error,
    metrics: null,
  };
}

function withParsedMetrics(record: RunRecord, row: Selectable<Database['automation_runs']> | undefined): RunRecord {
  return row?.metrics ? { ...record, metrics: fromJson<Metrics | null>(row.metrics, null) } : record;
}
