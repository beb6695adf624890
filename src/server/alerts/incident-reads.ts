import 'server-only';
import { type Kysely, sql } from 'kysely';
import { type Page, type PageRequest, afterKey, decodeCursor, toPage } from '../db/keyset-page';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import { type TenantAccess, canSee } from '../tenants/tenant-access';
import { type Incident, toDeliveryView, toIncidentView, toTimelineEntry } from './alert-views';
import type { DeliveryView, IncidentDetail, IncidentView, IncidentsQuery } from './alerts.schemas';

const STATUS_RANK: Record<Incident['status'], number> = { open: 0, acknowledged: 1, resolved: 2 };

/**
 * What the surfaces read of incidents: lists, pages, one incident with its timeline, the open counts. Writes go
 * through {@link IncidentRepository}. The caller has checked a requested tenant; these narrow to `access` again.
 */
export class IncidentReads {
  constructor(private readonly db: Kysely<Database>) {}

  /** Open first, then acknowledged, then resolved; newest first within each. */
  async list(access: TenantAccess, query: IncidentsQuery): Promise<IncidentView[]> {
    let q = this.incidentQuery();
    const tenantId = query.tenantId ?? access.restrictedTo;
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
    if (query.status) q = q.where('status', '=', query.status);
    const rows = await q
      .orderBy((eb) => eb.case().when('status', '=', 'open').then(0).when('status', '=', 'acknowledged').then(1).else(2).end())
      .orderBy('opened_at', 'desc')
      .orderBy('id')
      .limit(query.limit)
      .execute();
    return rows.map((i) => toIncidentView(i, access));
  }

  /**
   * One page in {@link list}'s order (open, acknowledged, resolved; newest first within each; then id). The keyset
   * is (status rank, opened_at, id); with a status filter the rank is constant and the `incidents_status` index
   * serves the seek.
   */
  async page(access: TenantAccess, query: Omit<IncidentsQuery, 'limit'>, page: PageRequest): Promise<Page<IncidentView>> {
    let q = this.incidentQuery();
    const tenantId = query.tenantId ?? access.restrictedTo;
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
    if (query.status) q = q.where('status', '=', query.status);
    const rank = sql<number>`(case when status = 'open' then 0 when status = 'acknowledged' then 1 else 2 end)`;
    if (page.cursor !== undefined) {
      const [r, o, i] = decodeCursor('incidents', page.cursor, ['number', 'number', 'string']);
      q = q.where(
        afterKey([
          { column: rank, direction: 'asc', value: r as number },
          { column: 'opened_at', direction: 'desc', value: o as number },
          { column: 'id', direction: 'asc', value: i as string },
        ]),
      );
    }
    const rows = await q
      .orderBy(rank)
      .orderBy('opened_at', 'desc')
      .orderBy('id')
      .limit(page.limit + 1)
      .execute();
    return toPage(
      'incidents',
      rows,
      page.limit,
      (i) => [STATUS_RANK[i.status], Number(i.opened_at), i.id],
      (i) => toIncidentView(i, access),
    );
  }

  /** The incident with its timeline: each event with the deliveries of its notifications. */
  async get(access: TenantAccess, id: string): Promise<IncidentDetail> {
    const incident = await this.incidentQuery().where('id', '=', id).executeTakeFirst();
    if (!incident || !canSee(access, incident.tenant_id)) throw new AppError('NOT_FOUND', `Incident not found: ${id}`);
    const events = await this.db.selectFrom('incident_events').selectAll().where('incident_id', '=', id).orderBy('at').orderBy('id').execute();
    const deliveries = await this.db.selectFrom('notification_outbox').selectAll().where('incident_id', '=', id).orderBy('created_at').orderBy('id').execute();
    const byEvent = new Map<string, DeliveryView[]>();
    for (const d of deliveries) byEvent.set(d.event_id, [...(byEvent.get(d.event_id) ?? []), toDeliveryView(d)]);
    return { ...toIncidentView(incident, access), timeline: events.map((e) => toTimelineEntry(e, byEvent.get(e.id) ?? [], access)) };
  }

  /** Unresolved incidents by status, for the navigation badge. */
  async openCount(access: TenantAccess): Promise<{ open: number; acknowledged: number }> {
    let q = this.db
      .selectFrom('incidents')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('resolved_at', 'is', null);
    if (access.restrictedTo !== null) q = q.where('tenant_id', '=', access.restrictedTo);
    const rows = await q.groupBy('status').execute();
    const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    return { open: count('open'), acknowledged: count('acknowledged') };
  }

  private incidentQuery() {
    return this.db
      .selectFrom('incidents')
      .selectAll('incidents')
      .select((eb) =>
        eb
          .selectFrom('notification_outbox as o')
          .select((o) => o.fn.countAll<number>().as('n'))
          .whereRef('o.incident_id', '=', 'incidents.id')
          .where('o.status', '=', 'delivered')
          .as('notifications_sent'),
      );
  }
}
