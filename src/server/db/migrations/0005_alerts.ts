import 'server-only';
import { type Kysely, sql } from 'kysely';

/** Alert rules and channels, incidents and their timeline, and the notification outbox (alert-evaluation). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('aggregation', 'text', (c) => c.notNull())
    .addColumn('operator', 'text', (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('window_minutes', 'integer', (c) => c.notNull())
    // No foreign key: a rule scoped to a server that is deleted stays (and says so) rather than vanish with it.
    .addColumn('server_id', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('no_data', 'text', (c) => c.notNull())
    .addColumn('cooldown_minutes', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_rules_tenant').on('alert_rules').columns(['tenant_id', 'name']).execute();
  await db.schema.createIndex('alert_rules_enabled').on('alert_rules').column('enabled').execute();

  await db.schema
    .createTable('alert_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rule_id', 'text', (c) => c.notNull().references('alert_rules.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_channels_rule').on('alert_channels').columns(['rule_id', 'position']).execute();

  // Incidents outlive their rules (history), so rule_id carries no foreign key.
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('rule_name', 'text', (c) => c.notNull())
    .addColumn('server_name', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('aggregation', 'text', (c) => c.notNull())
    .addColumn('operator', 'text', (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('window_minutes', 'integer', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('last_value', 'double precision')
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('last_evaluated_at', 'bigint', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('acknowledged_by', 'text')
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolution', 'text')
    .addColumn('last_notified_at', 'bigint', (c) => c.notNull())
    .addColumn('renotify_count', 'integer', (c) => c.notNull())
    .execute();
  // The dedup guarantee: at most one unresolved incident per (rule, server). Partial unique indexes work the
  // same in SQLite and PostgreSQL, and INSERT … ON CONFLICT DO NOTHING honours them in both.
  await db.schema
    .createIndex('incidents_one_open')
    .on('incidents')
    .columns(['rule_id', 'server_id'])
    .unique()
    .where(sql.ref('resolved_at'), 'is', null)
    .execute();
  await db.schema.createIndex('incidents_tenant_opened').on('incidents').columns(['tenant_id', 'opened_at']).execute();
  await db.schema.createIndex('incidents_status').on('incidents').columns(['status', 'opened_at']).execute();

  await db.schema
    .createTable('incident_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('note', 'text')
    .addColumn('dedup_key', 'text')
    .execute();
  // NULLs are distinct in both dialects, so notes (no key) may repeat while fired/resolved/renotified:<n> cannot.
  await db.schema.createIndex('incident_events_dedup').on('incident_events').columns(['incident_id', 'dedup_key']).unique().execute();
  await db.schema.createIndex('incident_events_incident_at').on('incident_events').columns(['incident_id', 'at']).execute();

  await db.schema
    .createTable('notification_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull().references('incident_events.id').onDelete('cascade'))
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('channel_type', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claim_token', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  // One notification per (incident event, channel), whoever queues it and however often.
  await db.schema.createIndex('notification_outbox_once').on('notification_outbox').columns(['event_id', 'channel_id']).unique().execute();
  await db.schema.createIndex('notification_outbox_due').on('notification_outbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('notification_outbox_incident').on('notification_outbox').column('incident_id').execute();
}
