import 'server-only';
import type { Kysely } from 'kysely';
import type { AutomationRunLogTable, Database, RunLogLevel } from '../db/schema';

export interface RunProgress {
  done: number;
  total: number;
  unit: string;
  /** When it was reported (epoch ms). */
  at: number;
}

/** What a flush writes besides the lines: the run row's progress and log counts as they are now. */
export interface RunLogState {
  progress: RunProgress | null;
  lines: number;
  dropped: number;
}

export interface StoredRunLogLine {
  seq: number;
  at: number;
  level: RunLogLevel;
  message: string;
  fields: Record<string, unknown> | null;
  tenantId: string | null;
}

/** Rows per INSERT: well under both dialects' bound-parameter limits (7 per row). */
const INSERT_CHUNK = 500;

/**
 * A run's own log lines and its progress (docs/architecture.md "A run's log and progress"). Lines are written in
 * batches, never one statement per line; they go with their run (foreign key, cascade), so retention needs nothing
 * of its own.
 */
export class RunLogRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly writeTransaction: <T>(fn: (trx: Kysely<Database>) => Promise<T>) => Promise<T>,
  ) {}

  /** Appends `lines` (already numbered) and records `state` on the run row, in one transaction. */
  async append(runId: string, lines: AutomationRunLogTable[], state: RunLogState): Promise<void> {
    await this.writeTransaction(async (trx) => {
      for (let i = 0; i < lines.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('automation_run_logs')
          .values(lines.slice(i, i + INSERT_CHUNK))
          .execute();
      }
      await trx
        .updateTable('automation_runs')
        .set({
          log_lines: state.lines,
          log_dropped: state.dropped,
          ...(state.progress
            ? { progress_done: state.progress.done, progress_total: state.progress.total, progress_unit: state.progress.unit, progress_at: state.progress.at }
            : {}),
        })
        .where('id', '=', runId)
        .execute();
    });
  }

  /** The run's latest progress and log counts; null for an unknown run. */
  async state(runId: string): Promise<(RunLogState & { key: string }) | null> {
    const row = await this.db
      .selectFrom('automation_runs')
      .select(['automation_key', 'progress_done', 'progress_total', 'progress_unit', 'progress_at', 'log_lines', 'log_dropped'])
      .where('id', '=', runId)
      .executeTakeFirst();
    if (!row) return null;
    const progress =
      row.progress_done === null || row.progress_total === null || row.progress_unit === null || row.progress_at === null
        ? null
        : { done: Number(row.progress_done), total: Number(row.progress_total), unit: row.progress_unit, at: Number(row.progress_at) };
    return { key: row.automation_key, progress, lines: Number(row.log_lines), dropped: Number(row.log_dropped) };
  }

  /**
   * Lines after `afterSeq`, oldest first, at most `limit` (through the primary key). With `tenantId`, only lines
   * about no tenant or about that one.
   */
  async page(runId: string, afterSeq: number, limit: number, tenantId: string | null): Promise<StoredRunLogLine[]> {
    let query = this.db.selectFrom('automation_run_logs').selectAll().where('run_id', '=', runId).where('seq', '>', afterSeq);
    if (tenantId !== null) query = query.where((eb) => eb.or([eb('tenant_id', 'is', null), eb('tenant_id', '=', tenantId)]));
    const rows = await query.orderBy('seq', 'asc').limit(limit).execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      level: r.level,
      message: r.message,
      fields: r.fields === null ? null : (JSON.parse(r.fields) as Record<string, unknown>),
      tenantId: r.tenant_id,
    }));
  }
}
