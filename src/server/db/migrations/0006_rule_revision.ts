import 'server-only';
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../client';

/**
 * A revision counter for the alert rules, bumped by the database itself on every insert, update, delete (and, in
 * PostgreSQL, truncate) of `alert_rules`, whoever writes: the console, another instance, or an operator in psql.
 * Alert evaluation keeps the rules in memory and re-reads them only when the revision moved.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('revisions')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO revisions (name, value) VALUES ('alert_rules', 0)`.execute(db);
  if (dialect === 'postgres') {
    // SET search_path FROM CURRENT: the function finds `revisions` in this schema whatever the caller's path.
    await sql`
      CREATE FUNCTION bump_alert_rules_revision() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      BEGIN
        UPDATE revisions SET value = value + 1 WHERE name = 'alert_rules';
        RETURN NULL;
      END $$`.execute(db);
    await sql`
      CREATE TRIGGER alert_rules_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON alert_rules
      FOR EACH STATEMENT EXECUTE FUNCTION bump_alert_rules_revision()`.execute(db);
    return;
  }
  for (const event of ['INSERT', 'UPDATE', 'DELETE'] as const) {
    await sql`
      CREATE TRIGGER ${sql.raw(`alert_rules_revision_${event.toLowerCase()}`)} AFTER ${sql.raw(event)} ON alert_rules
      BEGIN
        UPDATE revisions SET value = value + 1 WHERE name = 'alert_rules';
      END`.execute(db);
  }
}
