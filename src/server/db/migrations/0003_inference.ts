import type { Kysely } from 'kysely';

/** Inference servers (the inference-monitoring-poll automation polls them). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('inference_servers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('api_key_enc', 'text')
    .addColumn('poll_interval_s', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_polled_at', 'bigint')
    .addColumn('last_latency_ms', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('inference_servers_due')
    .on('inference_servers')
    .columns(['enabled', 'last_polled_at'])
    .execute();
}
