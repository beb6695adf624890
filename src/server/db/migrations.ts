import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Dialect } from './client';

/**
 * Migrations live in code (not files) so the Next.js bundle and the CLI run the same list. Each one is
 * written once for both dialects; where the dialects differ (auto-increment ids) the dialect is passed in.
 * Never edit a migration that has shipped: add a new one.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_control_plane': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('automation_pauses')
          .addColumn('automation_key', 'text', (c) => c.primaryKey())
          .addColumn('paused', 'integer', (c) => c.notNull())
          .addColumn('paused_at', 'bigint')
          .addColumn('paused_by', 'text')
          .addColumn('reason', 'text')
          .addColumn('until', 'bigint')
          .addColumn('resumed_at', 'bigint')
          .addColumn('resumed_by', 'text')
          .execute();

        await db.schema
          .createTable('automation_runs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('automation_key', 'text', (c) => c.notNull())
          .addColumn('trigger', 'text', (c) => c.notNull())
          .addColumn('actor', 'text')
          .addColumn('instance_id', 'text', (c) => c.notNull())
          .addColumn('slot', 'text')
          .addColumn('fence', 'bigint', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('finished_at', 'bigint')
          .addColumn('duration_ms', 'bigint')
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('error', 'text')
          .addColumn('metrics', 'text')
          .addColumn('lease_expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('automation_runs_key_started')
          .on('automation_runs')
          .columns(['automation_key', 'started_at'])
          .execute();
        await db.schema.createIndex('automation_runs_outcome').on('automation_runs').column('outcome').execute();
        // A second guard behind the lock store's slot claim: one row per (automation, slot), ever.
        await db.schema
          .createIndex('automation_runs_key_slot')
          .on('automation_runs')
          .columns(['automation_key', 'slot'])
          .unique()
          .execute();

        await db.schema
          .createTable('api_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('prefix', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('tenant_id', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .addColumn('last_used_at', 'bigint')
          .execute();

        await db.schema
          .createTable('operators')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('disabled_at', 'bigint')
          .execute();

        await db.schema
          .createTable('operator_sessions')
          .addColumn('id_hash', 'text', (c) => c.primaryKey())
          .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id').onDelete('cascade'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('audit_log')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target', 'text')
          .addColumn('instance_id', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('detail', 'text')
          .execute();
        await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();

        await db.schema
          .createTable('instances')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
          .addColumn('stopped_at', 'bigint')
          .addColumn('lock_provider', 'text', (c) => c.notNull())
          .addColumn('scheduler', 'integer', (c) => c.notNull())
          .addColumn('stats', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002_domain_tables': {
      async up(db: Kysely<unknown>) {
        // The tables the automations act on. Their services arrive with the domain issues; the automations
        // already read them, so a run on an empty console does honest work and reports zeros.
        await db.schema
          .createTable('tenants')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('slug', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

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

        await db.schema
          .createTable('alert_rules')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('enabled', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('notification_outbox')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('browser_sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
          .addColumn('owner_instance_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('start_url', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_activity_at', 'bigint', (c) => c.notNull())
          .addColumn('idle_timeout_ms', 'bigint', (c) => c.notNull())
          .addColumn('max_lifetime_ms', 'bigint', (c) => c.notNull())
          .addColumn('closed_at', 'bigint')
          .addColumn('close_reason', 'text')
          .execute();
        await db.schema
          .createIndex('browser_sessions_status')
          .on('browser_sessions')
          .columns(['status', 'owner_instance_id'])
          .execute();
      },
    },
  };
}

class InCodeProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/**
 * Brings the schema up to date. Safe to call from several instances at once: Kysely's migrator takes a lock
 * (a row lock in PostgreSQL, the single writer in SQLite) before it applies anything.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, schema?: string): Promise<string[]> {
  // The migrator's own tables live in the schema in use; otherwise a same-named table of another schema in the
  // same database would be taken for ours.
  const tableSchema =
    schema ?? (dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined);
  const migrator = new Migrator({ db, provider: new InCodeProvider(dialect), migrationTableSchema: tableSchema });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // Kysely lists the tables of every schema first; a schema dropped meanwhile by someone else (3F000) fails
    // that listing, not our migration. Try again.
    if ((error as { code?: string }).code === '3F000' && attempt < 5) continue;
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Names of the migrations known to this build, oldest first. */
export function knownMigrations(): string[] {
  return Object.keys(migrations('sqlite')).sort();
}

export { sql };
