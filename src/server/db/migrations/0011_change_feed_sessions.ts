import 'server-only';
import type { Kysely } from 'kysely';
import type { Dialect } from '../client';

/**
 * The change feed (processes on one database without Redis hear each other through it: see
 * coordination/database-change-bus.ts) and the sessions' sliding idle timeout (last_seen_at), with the indexes the
 * periodic purges need.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('changes')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('changes_at').on('changes').column('at').execute();

  await db.schema.alterTable('operator_sessions').addColumn('last_seen_at', 'bigint').execute();
  await db.schema.createIndex('operator_sessions_expires_at').on('operator_sessions').column('expires_at').execute();
  await db.schema.createIndex('operator_sessions_operator').on('operator_sessions').column('operator_id').execute();
  await db.schema.createIndex('audit_log_action_at').on('audit_log').columns(['action', 'at']).execute();
}
