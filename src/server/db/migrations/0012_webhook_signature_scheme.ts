import 'server-only';
import type { Kysely } from 'kysely';

/**
 * Each webhook channel's signature scheme (docs/alerts.md "Signatures"). Existing channels keep signing as they
 * did (`x-alert-signature`), so their receivers see no change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('alert_channels')
    .addColumn('signature_scheme', 'text', (c) => c.notNull().defaultTo('x-alert-signature'))
    .execute();
}
