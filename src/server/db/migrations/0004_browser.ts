import 'server-only';
import type { Kysely } from 'kysely';

/** Browser sessions (the runtime, the reaper and reconciliation act on them). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('browser_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('owner_instance_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_url', 'text', (c) => c.notNull())
    .addColumn('current_url', 'text')
    .addColumn('title', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_activity_at', 'bigint', (c) => c.notNull())
    .addColumn('idle_timeout_ms', 'bigint', (c) => c.notNull())
    .addColumn('max_lifetime_ms', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .addColumn('close_reason', 'text')
    .addColumn('error', 'text')
    .addColumn('blocked_requests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('thumbnail', 'text')
    .addColumn('thumbnail_at', 'bigint')
    .execute();
  // The reaper and reconciliation look up live sessions by status and owner.
  await db.schema.createIndex('browser_sessions_status').on('browser_sessions').columns(['status', 'owner_instance_id']).execute();
  // The list endpoint filters by tenant, newest first.
  await db.schema.createIndex('browser_sessions_tenant').on('browser_sessions').columns(['tenant_id', 'created_at']).execute();
}
