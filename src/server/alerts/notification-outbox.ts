import 'server-only';
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema';
import type { NotifiedEventType } from '../../shared/alert-metrics';
import type { AlertChannelTable, IncidentEventTable, IncidentTable, NotificationOutboxTable } from '../db/tables/alerts.tables';
import { notificationBody } from './notification-format';

export type OutboxRow = Selectable<NotificationOutboxTable>;
export type Channel = Selectable<AlertChannelTable>;

/** An incident event that pages people, with the incident as it stood when the event happened. */
export interface NotifiableEvent {
  event: Selectable<IncidentEventTable> & { type: NotifiedEventType };
  incident: Selectable<IncidentTable>;
}

const CHUNK = 200;

/**
 * The notification outbox: rows are written in the same transaction as the incident change they announce, so a
 * change is never committed without its notifications nor notified without being committed. Rows are unique on
 * (event_id, channel_id): a repeated or concurrent enqueue of the same event is a no-op.
 */
export class NotificationOutbox {
  constructor(private readonly db: Kysely<Database>) {}

  /** Queues one row per (event, channel of the incident's rule), inside the caller's transaction. */
  async enqueue(trx: Kysely<Database>, items: NotifiableEvent[], at: number): Promise<number> {
    if (items.length === 0) return 0;
    const ruleIds = [...new Set(items.map((i) => i.incident.rule_id))];
    const tenantIds = [...new Set(items.map((i) => i.incident.tenant_id))];
    const channels = await trx.selectFrom('alert_channels').selectAll().where('rule_id', 'in', ruleIds).orderBy('position').execute();
    const tenants = await trx.selectFrom('tenants').select(['id', 'name']).where('id', 'in', tenantIds).execute();
    const tenantName = new Map(tenants.map((t) => [t.id, t.name]));
    const byRule = new Map<string, Channel[]>();
    for (const ch of channels) byRule.set(ch.rule_id, [...(byRule.get(ch.rule_id) ?? []), ch]);

    const rows: NotificationOutboxTable[] = [];
    for (const { event, incident } of items) {
      for (const ch of byRule.get(incident.rule_id) ?? []) {
        const id = randomUUID();
        rows.push({
          id,
          tenant_id: incident.tenant_id,
          incident_id: incident.id,
          event_id: event.id,
          event_type: event.type,
          channel_id: ch.id,
          channel_type: ch.type,
          url: ch.url,
          body: notificationBody(ch.type, event, incident, tenantName.get(incident.tenant_id) ?? incident.tenant_id, id),
          status: 'queued',
          attempts: 0,
          next_attempt_at: at,
          claim_token: null,
          lease_expires_at: null,
          last_status_code: null,
          last_error: null,
          created_at: at,
          updated_at: at,
          delivered_at: null,
        });
      }
    }
    let queued = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const result = await trx
        .insertInto('notification_outbox')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) => oc.columns(['event_id', 'channel_id']).doNothing())
        .executeTakeFirst();
      queued += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return queued;
  }

  /**
   * Claims up to `limit` due rows for this caller: queued rows whose time has come, and in-flight rows whose
   * claim lapsed (their instance died mid-delivery). One conditional UPDATE; when two instances race for the
   * same row the condition is re-checked on the locked row (PostgreSQL) or the writes are serialised (SQLite),
   * so each claim goes to exactly one caller. The attempt is counted at claim time, so a crash still counts.
   */
  async claimDue(limit: number, leaseMs: number, at: number): Promise<OutboxRow[]> {
    const token = randomUUID();
    return this.db
      .updateTable('notification_outbox')
      .set((eb) => ({
        status: 'in_flight',
        claim_token: token,
        lease_expires_at: at + leaseMs,
        attempts: eb('attempts', '+', 1),
        updated_at: at,
      }))
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('notification_outbox')
          .select('id')
          .where((w) =>
            w.or([
              w.and([w('status', '=', 'queued'), w('next_attempt_at', '<=', at)]),
              w.and([w('status', '=', 'in_flight'), w('lease_expires_at', '<=', at)]),
            ]),
          )
          .orderBy('next_attempt_at')
          .limit(limit),
      )
      .where((w) =>
        w.or([w.and([w('status', '=', 'queued'), w('next_attempt_at', '<=', at)]), w.and([w('status', '=', 'in_flight'), w('lease_expires_at', '<=', at)])]),
      )
      .returningAll()
      .execute();
  }

  /** Secrets and current URLs of the channels of claimed rows. A channel that is gone means "do not send". */
  async channels(ids: string[]): Promise<Map<string, Channel>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('alert_channels')
      .selectAll()
      .where('id', 'in', [...new Set(ids)])
      .execute();
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** Success wins over anything: even when this claim lapsed meanwhile, the receiver has it now. */
  async markDelivered(id: string, statusCode: number, at: number): Promise<void> {
    await this.db
      .updateTable('notification_outbox')
      .set({ status: 'delivered', delivered_at: at, last_status_code: statusCode, last_error: null, claim_token: null, lease_expires_at: null, updated_at: at })
      .where('id', '=', id)
      .where('status', '!=', 'delivered')
      .execute();
  }

  /** Records a failed attempt: queued again at `retryAt`, or `failed` for good when retryAt is null. */
  async markAttemptFailed(row: OutboxRow, outcome: { statusCode: number | null; error: string; retryAt: number | null }, at: number): Promise<void> {
    await this.db
      .updateTable('notification_outbox')
      .set({
        status: outcome.retryAt === null ? 'failed' : 'queued',
        next_attempt_at: outcome.retryAt ?? row.next_attempt_at,
        last_status_code: outcome.statusCode,
        last_error: outcome.error.slice(0, 1000),
        claim_token: null,
        lease_expires_at: null,
        updated_at: at,
      })
      .where('id', '=', row.id)
      .where('status', '=', 'in_flight')
      .where('claim_token', '=', row.claim_token)
      .execute();
  }

  async cancel(row: OutboxRow, reason: string, at: number): Promise<void> {
    await this.db
      .updateTable('notification_outbox')
      .set({ status: 'cancelled', last_error: reason, claim_token: null, lease_expires_at: null, updated_at: at })
      .where('id', '=', row.id)
      .where('status', '=', 'in_flight')
      .where('claim_token', '=', row.claim_token)
      .execute();
  }

  /** Cancels what is still waiting for the given channels (they are being removed). */
  async cancelForChannels(trx: Kysely<Database>, channelIds: string[], reason: string, at: number): Promise<void> {
    if (channelIds.length === 0) return;
    await trx
      .updateTable('notification_outbox')
      .set({ status: 'cancelled', last_error: reason, claim_token: null, lease_expires_at: null, updated_at: at })
      .where('channel_id', 'in', channelIds)
      .where('status', 'in', ['queued', 'in_flight'])
      .execute();
  }

  /** Deliveries queued (including those waiting to retry) or in flight now, across all instances. */
  async pending(): Promise<number> {
    const row = await this.db
      .selectFrom('notification_outbox')
      .select((eb) => eb.fn.countAll<number>().as('pending'))
      .where('status', 'in', ['queued', 'in_flight'])
      .executeTakeFirstOrThrow();
    return Number(row.pending);
  }
}
