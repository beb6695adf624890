import 'server-only';
import { randomUUID } from 'node:crypto';
import { type ExpressionBuilder, type Kysely, type Selectable, sql } from 'kysely';
import { caseById } from '../db/case-by-id';
import type { DatabaseHandle } from '../db/client';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { NotifiedEventType, Resolution } from '../../shared/alert-metrics';
import type { AlertRuleTable, IncidentEventTable, IncidentTable } from '../db/tables/alerts.tables';
import type { NotifiableEvent, NotificationOutbox } from './notification-outbox';

export type IncidentRow = Selectable<IncidentTable>;
export type IncidentEventRow = Selectable<IncidentEventTable>;
type Rule = Selectable<AlertRuleTable>;

export interface OpenRequest {
  rule: Rule;
  serverId: string;
  serverName: string;
  value: number | null;
}

export interface ResolveRequest {
  incidentId: string;
  value: number | null;
  resolution: Resolution;
}

/** What one batch of transitions did. */
export interface TransitionResult {
  incidents: IncidentRow[];
  queued: number;
}

const CHUNK = 100;
const REFRESH_CHUNK = 1_000;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Incident state changes, each one conditional so that concurrent evaluators (or an evaluator and an operator)
 * make every transition at most once between them:
 * - open: INSERT … ON CONFLICT DO NOTHING against the one-unresolved-per-(rule, server) index;
 * - resolve: UPDATE … WHERE resolved_at IS NULL;
 * - re-notify: UPDATE … WHERE last_notified_at is at least one cooldown old;
 * - acknowledge: UPDATE … WHERE status = 'open'.
 * Only the caller whose statement changed the row writes the timeline event and queues its notifications, in the
 * same transaction. Batches are sorted by key so concurrent batches take row locks in one order (no deadlocks).
 */
export class IncidentRepository {
  constructor(
    private readonly database: Pick<DatabaseHandle, 'db' | 'writeTransaction'>,
    private readonly outbox: NotificationOutbox,
  ) {}

  async listOpen(): Promise<IncidentRow[]> {
    return this.database.db.selectFrom('incidents').selectAll().where('resolved_at', 'is', null).execute();
  }

  async open(requests: OpenRequest[], at: number, actor: string): Promise<TransitionResult> {
    const sorted = [...requests].sort((a, b) => a.rule.id.localeCompare(b.rule.id) || a.serverId.localeCompare(b.serverId));
    const result: TransitionResult = { incidents: [], queued: 0 };
    for (const batch of chunks(sorted)) {
      const done = await this.database.writeTransaction(async (trx) => {
        const opened = await trx
          .insertInto('incidents')
          .values(
            batch.map(({ rule, serverId, serverName, value }) => ({
              id: randomUUID(),
              tenant_id: rule.tenant_id,
              rule_id: rule.id,
              server_id: serverId,
              rule_name: rule.name,
              server_name: serverName,
              metric: rule.metric,
              aggregation: rule.aggregation,
              operator: rule.operator,
              threshold: rule.threshold,
              window_minutes: rule.window_minutes,
              severity: rule.severity,
              status: 'open' as const,
              value,
              last_value: value,
              opened_at: at,
              last_evaluated_at: at,
              acknowledged_at: null,
              acknowledged_by: null,
              resolved_at: null,
              resolution: null,
              last_notified_at: at,
              renotify_count: 0,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .returningAll()
          .execute();
        return this.record(trx, opened, 'fired', () => 'fired', at, actor);
      });
      result.incidents.push(...done.incidents);
      result.queued += done.queued;
    }
    return result;
  }

  /**
   * Stores the newest value of incidents that are still breaching: every run touches all of them, so in larger
   * statements than the transitions (one round trip per 1,000).
   */
  async refresh(values: Array<{ incidentId: string; value: number | null }>, at: number): Promise<void> {
    const sorted = [...values].sort((a, b) => a.incidentId.localeCompare(b.incidentId));
    for (const batch of chunks(sorted, REFRESH_CHUNK)) {
      await this.database.db
        .updateTable('incidents')
        .set({
          last_value: caseById<number | null>(
            batch.map((v) => [v.incidentId, v.value]),
            'DOUBLE PRECISION',
          ),
          last_evaluated_at: at,
        })
        .where(
          'id',
          'in',
          batch.map((v) => v.incidentId),
        )
        .where('resolved_at', 'is', null)
        .execute();
    }
  }

  /**
   * Re-notifies open (unacknowledged) incidents whose last notification is at least their rule's cooldown old.
   * The cooldown is read from the rule inside the statement, so a concurrent evaluator that already re-notified
   * makes this one a no-op.
   */
  async renotify(incidentIds: string[], at: number, actor: string): Promise<TransitionResult> {
    const sorted = [...incidentIds].sort();
    const result: TransitionResult = { incidents: [], queued: 0 };
    for (const batch of chunks(sorted)) {
      const done = await this.database.writeTransaction(async (trx) => {
        const updated = await trx
          .updateTable('incidents')
          .set((eb) => ({ renotify_count: eb('renotify_count', '+', 1), last_notified_at: at }))
          .where('id', 'in', batch)
          .where('status', '=', 'open')
          .where(
            'last_notified_at',
            '<=',
            sql<number>`CAST(${at} AS BIGINT) - (SELECT CAST(r.cooldown_minutes AS BIGINT) * 60000 FROM alert_rules r WHERE r.id = incidents.rule_id AND r.cooldown_minutes > 0)`,
          )
          .returningAll()
          .execute();
        return this.record(trx, updated, 'renotified', (i) => `renotified:${i.renotify_count}`, at, actor);
      });
      result.incidents.push(...done.incidents);
      result.queued += done.queued;
    }
    return result;
  }

  /** Resolves incidents that are still unresolved; `notify` false records the timeline event without paging. */
  async resolve(requests: ResolveRequest[], at: number, actor: string, options: { notify: boolean; trx?: Kysely<Database> }): Promise<TransitionResult> {
    const sorted = [...requests].sort((a, b) => a.incidentId.localeCompare(b.incidentId));
    const result: TransitionResult = { incidents: [], queued: 0 };
    const run = async (trx: Kysely<Database>, batch: ResolveRequest[]) => {
      const resolved = await trx
        .updateTable('incidents')
        .set({
          status: 'resolved',
          resolved_at: at,
          last_evaluated_at: at,
          last_value: caseById<number | null>(
            batch.map((r) => [r.incidentId, r.value]),
            'DOUBLE PRECISION',
          ),
          resolution: caseById<Resolution | null>(
            batch.map((r) => [r.incidentId, r.resolution]),
            'TEXT',
          ),
        })
        .where(
          'id',
          'in',
          batch.map((r) => r.incidentId),
        )
        .where('resolved_at', 'is', null)
        .returningAll()
        .execute();
      return this.record(trx, resolved, 'resolved', () => 'resolved', at, actor, options.notify);
    };
    for (const batch of chunks(sorted)) {
      const done = options.trx ? await run(options.trx, batch) : await this.database.writeTransaction((trx) => run(trx, batch));
      result.incidents.push(...done.incidents);
      result.queued += done.queued;
    }
    return result;
  }

  /**
   * Deletes at most `batch` incidents resolved before `cutoff` (oldest first), with their timeline and
   * notifications, and returns how many. An incident with a notification still queued or in flight is kept until it
   * settles. Looks before it writes, so a run with nothing to delete takes no write lock.
   */
  async pruneResolved(cutoff: number, batch: number): Promise<number> {
    const unsettled = (eb: ExpressionBuilder<Database, 'incidents'>) =>
      eb.exists(
        eb
          .selectFrom('notification_outbox as o')
          .select('o.id')
          .whereRef('o.incident_id', '=', 'incidents.id')
          .where('o.status', 'in', ['queued', 'in_flight']),
      );
    const old = (db: Kysely<Database>, ids?: string[]) => {
      let query = db
        .selectFrom('incidents')
        .select('id')
        .where('resolved_at', '<', cutoff)
        .where((eb) => eb.not(unsettled(eb)));
      if (ids) query = query.where('id', 'in', ids);
      return query.orderBy('resolved_at').limit(batch).execute();
    };
    const candidates = (await old(this.database.db)).map((r) => r.id);
    if (candidates.length === 0) return 0;
    return this.database.writeTransaction(async (trx) => {
      // Checked again under the write lock: a notification may have been queued meanwhile.
      const ids = (await old(trx, candidates)).map((r) => r.id);
      if (ids.length === 0) return 0;
      await trx.deleteFrom('notification_outbox').where('incident_id', 'in', ids).execute();
      await trx.deleteFrom('incident_events').where('incident_id', 'in', ids).execute();
      await trx.deleteFrom('incidents').where('id', 'in', ids).execute();
      return ids.length;
    });
  }

  /**
   * Acknowledges an open incident (stops re-notifications; it still resolves by itself). Acknowledging an
   * acknowledged incident changes nothing but still records a given note; a resolved one is a conflict.
   */
  async acknowledge(id: string, actor: string, note: string | undefined, at: number, visible: (i: IncidentRow) => boolean): Promise<void> {
    await this.database.writeTransaction(async (trx) => {
      const incident = await trx.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
      if (!incident || !visible(incident)) throw new AppError('NOT_FOUND', `Incident not found: ${id}`);
      if (incident.status === 'resolved') throw new AppError('CONFLICT', `Incident ${id} is already resolved; there is nothing to acknowledge`);
      const updated = await trx
        .updateTable('incidents')
        .set({ status: 'acknowledged', acknowledged_at: at, acknowledged_by: actor })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 1) await this.insertEvent(trx, incident, 'acknowledged', actor, at, note ?? null);
      else if (note) await this.insertEvent(trx, incident, 'note', actor, at, note);
    });
  }

  async addNote(id: string, actor: string, note: string, at: number, visible: (i: IncidentRow) => boolean): Promise<void> {
    const incident = await this.database.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!incident || !visible(incident)) throw new AppError('NOT_FOUND', `Incident not found: ${id}`);
    await this.insertEvent(this.database.db, incident, 'note', actor, at, note);
  }

  private async insertEvent(db: Kysely<Database>, incident: IncidentRow, type: 'acknowledged' | 'note', actor: string, at: number, note: string | null) {
    await db
      .insertInto('incident_events')
      .values({ id: randomUUID(), incident_id: incident.id, tenant_id: incident.tenant_id, at, type, actor, value: null, note, dedup_key: null })
      .execute();
  }

  /** Writes the timeline events of incidents this call changed, and queues their notifications. */
  private async record(
    trx: Kysely<Database>,
    changed: IncidentRow[],
    type: NotifiedEventType,
    dedupKey: (i: IncidentRow) => string,
    at: number,
    actor: string,
    notify = true,
  ): Promise<TransitionResult> {
    if (changed.length === 0) return { incidents: [], queued: 0 };
    const byId = new Map(changed.map((i) => [i.id, i]));
    const events = await trx
      .insertInto('incident_events')
      .values(
        changed.map((i) => ({
          id: randomUUID(),
          incident_id: i.id,
          tenant_id: i.tenant_id,
          at,
          type,
          actor,
          value: type === 'fired' ? i.value : i.last_value,
          note: null,
          dedup_key: dedupKey(i),
        })),
      )
      // A second guard behind the conditional writes: one fired/resolved/renotified:<n> per incident, ever.
      .onConflict((oc) => oc.columns(['incident_id', 'dedup_key']).doNothing())
      .returningAll()
      .execute();
    const items: NotifiableEvent[] = [];
    for (const event of events) {
      const incident = byId.get(event.incident_id);
      if (incident) items.push({ event: { ...event, type }, incident });
    }
    const queued = notify ? await this.outbox.enqueue(trx, items, at) : 0;
    return { incidents: changed, queued };
  }
}
