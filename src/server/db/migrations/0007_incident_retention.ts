import 'server-only';
import type { Kysely } from 'kysely';

/** Resolved incidents are deleted after a retention period (alert-evaluation); this finds the oldest quickly. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('incidents_resolved_at').on('incidents').column('resolved_at').execute();
}
