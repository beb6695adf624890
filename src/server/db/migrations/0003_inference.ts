import 'server-only';
import type { Kysely } from 'kysely';

/** Inference servers and their samples (the inference-monitoring-poll automation polls and writes them). */
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
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inference_servers_due').on('inference_servers').columns(['enabled', 'last_polled_at']).execute();
  await db.schema.createIndex('inference_servers_tenant').on('inference_servers').columns(['tenant_id', 'name']).unique().execute();

  await db.schema
    .createTable('inference_samples')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('server_id', 'text', (c) => c.notNull().references('inference_servers.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('up', 'integer', (c) => c.notNull())
    .addColumn('latency_ms', 'double precision')
    .addColumn('requests_running', 'double precision')
    .addColumn('requests_waiting', 'double precision')
    .addColumn('kv_cache_usage_pct', 'double precision')
    .addColumn('prompt_tokens_per_s', 'double precision')
    .addColumn('generation_tokens_per_s', 'double precision')
    .addColumn('ttft_ms', 'double precision')
    .addColumn('models', 'text')
    .addColumn('counters', 'text')
    .addColumn('error', 'text')
    .execute();
  // Reads are "this server's samples over a window" (charts, alert evaluation) and retention by time.
  await db.schema.createIndex('inference_samples_server_at').on('inference_samples').columns(['server_id', 'at']).execute();
  await db.schema.createIndex('inference_samples_at').on('inference_samples').column('at').execute();
}
