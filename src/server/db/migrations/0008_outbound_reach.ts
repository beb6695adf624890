import 'server-only';
import type { Kysely } from 'kysely';

/**
 * Who set each outbound URL decides what it may reach (net/outbound.config.ts): `platform` or `tenant`. Stored on
 * the row, so the poller, the delivery worker and the browser runtime enforce it at every connection. Rows that
 * exist before this migration were written when there was no such rule; they count as the platform's (see
 * docs/configuration.md, "Upgrading: OUTBOUND_ALLOW_PRIVATE").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['inference_servers', 'alert_channels', 'browser_sessions']) {
    await db.schema
      .alterTable(table)
      .addColumn('reach', 'text', (col) => col.notNull().defaultTo('platform'))
      .execute();
  }
}
