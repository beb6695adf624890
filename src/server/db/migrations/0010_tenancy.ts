import 'server-only';
import type { Kysely } from 'kysely';

/**
 * Tenancy hardening (docs/decisions.md "Tenancy"):
 * - webhook channel secrets move to `secret_enc` (AES-256-GCM, sealed at boot from the old clear `secret` column,
 *   which is then emptied: a migration cannot read CONSOLE_SECRET), with the previous secret of a rotation kept
 *   until its overlap ends;
 * - indexes for the paged lists' orders and for the per-tenant quota counts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  await db.schema.alterTable('alert_channels').addColumn('secret_enc', 'text').execute();
  await db.schema.alterTable('alert_channels').addColumn('previous_secret_enc', 'text').execute();
  await db.schema.alterTable('alert_channels').addColumn('previous_secret_expires_at', 'bigint').execute();
  await db.schema.createIndex('alert_channels_tenant').on('alert_channels').column('tenant_id').execute();

  await db.schema.createIndex('alert_rules_page').on('alert_rules').columns(['tenant_id', 'name', 'id']).execute();
  await db.schema.createIndex('tenants_page').on('tenants').columns(['name', 'slug']).execute();
  await db.schema.createIndex('browser_sessions_page').on('browser_sessions').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('browser_sessions_tenant_status').on('browser_sessions').columns(['tenant_id', 'status']).execute();
}
