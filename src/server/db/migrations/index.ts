import 'server-only';
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Dialect } from '../client';
import * as controlPlane from './0001_control_plane';
import * as tenants from './0002_tenants';
import * as inference from './0003_inference';
import * as browser from './0004_browser';
import * as alerts from './0005_alerts';
import * as ruleRevision from './0006_rule_revision';
import * as incidentRetention from './0007_incident_retention';
import * as outboundReach from './0008_outbound_reach';
import * as tenancy from './0010_tenancy';
import * as changeFeedSessions from './0011_change_feed_sessions';
import * as webhookSignatureScheme from './0012_webhook_signature_scheme';
import * as runLogs from './0013_run_logs';

/**
 * Migrations live in code (not loaded from a folder at run time) so the Next.js bundle and the CLI run the same
 * list; one file each, in order. Each is written once for both dialects; where they differ (auto-increment ids)
 * the dialect is passed in. Never edit a migration that has shipped: add a new one.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_control_plane': { up: (db) => controlPlane.up(db, dialect) },
    '0002_tenants': { up: (db) => tenants.up(db) },
    '0003_inference': { up: (db) => inference.up(db) },
    '0004_browser': { up: (db) => browser.up(db) },
    '0005_alerts': { up: (db) => alerts.up(db) },
    '0006_rule_revision': { up: (db) => ruleRevision.up(db, dialect) },
    '0007_incident_retention': { up: (db) => incidentRetention.up(db) },
    '0008_outbound_reach': { up: (db) => outboundReach.up(db) },
    '0010_tenancy': { up: (db) => tenancy.up(db) },
    '0011_change_feed_sessions': { up: (db) => changeFeedSessions.up(db, dialect) },
    '0012_webhook_signature_scheme': { up: (db) => webhookSignatureScheme.up(db) },
    '0013_run_logs': { up: (db) => runLogs.up(db) },
  };
}

class InCodeProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

const INTROSPECTION_RACES = new Set(['3F000', '42P01', '42703']);

/**
 * Brings the schema up to date. Safe to call from several instances at once: Kysely's migrator takes a lock
 * (an advisory lock in PostgreSQL, the single writer in SQLite) before it applies anything.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, schema?: string): Promise<string[]> {
  // The migrator's own tables live in the schema in use; otherwise a same-named table of another schema in the
  // same database would be taken for ours.
  const tableSchema = schema ?? (dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined);
  const migrator = new Migrator({ db, provider: new InCodeProvider(dialect), migrationTableSchema: tableSchema });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    // Before migrating, Kysely introspects the tables of every schema in the database (pg_get_serial_sequence per
    // column). A schema, table or column that another client drops meanwhile fails that listing with 3F000, 42P01
    // or 42703 — nothing of ours ran (no migration errored), so try again.
    const code = (error as { code?: string }).code ?? '';
    if (failed === undefined && INTROSPECTION_RACES.has(code) && attempt < 5) {
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      continue;
    }
    throw new Error(`Database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Names of the migrations known to this build, oldest first. */
export function knownMigrations(): string[] {
  return Object.keys(migrations('sqlite')).sort();
}

export { sql };
