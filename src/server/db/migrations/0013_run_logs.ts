import 'server-only';
import type { Kysely } from 'kysely';

/**
 * A run's own log and progress (docs/architecture.md "A run's log and progress"): numbered lines per run, deleted
 * with their run (the foreign key cascades, so every way a run row goes takes its lines along), and the latest
 * progress and the log's counts on the run row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('automation_run_logs')
    .addColumn('run_id', 'text', (c) => c.notNull().references('automation_runs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('fields', 'text')
    .addColumn('tenant_id', 'text')
    .addPrimaryKeyConstraint('automation_run_logs_pk', ['run_id', 'seq'])
    .execute();
  await db.schema.alterTable('automation_runs').addColumn('progress_done', 'bigint').execute();
  await db.schema.alterTable('automation_runs').addColumn('progress_total', 'bigint').execute();
  await db.schema.alterTable('automation_runs').addColumn('progress_unit', 'text').execute();
  await db.schema.alterTable('automation_runs').addColumn('progress_at', 'bigint').execute();
  await db.schema
    .alterTable('automation_runs')
    .addColumn('log_lines', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('automation_runs')
    .addColumn('log_dropped', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
