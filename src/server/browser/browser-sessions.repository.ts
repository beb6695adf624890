import 'server-only';
import type { Kysely, Selectable } from 'kysely';
import { afterKey } from '../db/keyset-page';
import type { Database } from '../db/schema';
import type { OutboundReach } from '../net/outbound.config';
import type { PageSnapshot } from './browser-runtime';
import { LIVE_SESSION_STATUSES, type SessionCloseReason, type SessionStatus } from './browser.schemas';
import type { BrowserSessionTable } from '../db/tables/browser.tables';

/** A session row without its thumbnail (which only the thumbnail read needs). */
export type SessionRow = Omit<Selectable<BrowserSessionTable>, 'thumbnail'>;

const COLUMNS = [
  'id',
  'tenant_id',
  'owner_instance_id',
  'status',
  'start_url',
  'reach',
  'current_url',
  'title',
  'created_at',
  'last_activity_at',
  'idle_timeout_ms',
  'max_lifetime_ms',
  'closed_at',
  'close_reason',
  'error',
  'blocked_requests',
  'thumbnail_at',
] as const satisfies ReadonlyArray<keyof SessionRow>;

/**
 * Persistence of browser sessions. Every transition out of a live status is a conditional update (`where status
 * in ('starting','ready')`), so two writers racing to end a session (reaper, close, crash, reconciliation) end it
 * once, and the first reason wins.
 */
export class BrowserSessionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertStarting(row: {
    id: string;
    tenantId: string;
    ownerInstanceId: string;
    startUrl: string;
    reach: OutboundReach;
    now: number;
    idleTimeoutMs: number;
    maxLifetimeMs: number;
  }): Promise<void> {
    await this.db
      .insertInto('browser_sessions')
      .values({
        id: row.id,
        tenant_id: row.tenantId,
        owner_instance_id: row.ownerInstanceId,
        status: 'starting',
        start_url: row.startUrl,
        reach: row.reach,
        current_url: null,
        title: null,
        created_at: row.now,
        last_activity_at: row.now,
        idle_timeout_ms: row.idleTimeoutMs,
        max_lifetime_ms: row.maxLifetimeMs,
        closed_at: null,
        close_reason: null,
        error: null,
        blocked_requests: 0,
        thumbnail: null,
        thumbnail_at: null,
      })
      .execute();
  }

  /** Narrows what a session may reach (to `tenant`; it never widens again). */
  async setReach(id: string, reach: OutboundReach): Promise<void> {
    await this.db.updateTable('browser_sessions').set({ reach }).where('id', '=', id).execute();
  }

  async find(id: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom('browser_sessions').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  /** Newest first (then by id); after `after` (the last row of the previous page) when given. */
  async list(filter: { tenantId?: string; status?: SessionStatus; limit: number; after?: { createdAt: number; id: string } }): Promise<SessionRow[]> {
    let query = this.db.selectFrom('browser_sessions').select(COLUMNS);
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.after) {
      query = query.where(
        afterKey([
          { column: 'created_at', direction: 'desc', value: filter.after.createdAt },
          { column: 'id', direction: 'asc', value: filter.after.id },
        ]),
      );
    }
    return query.orderBy('created_at', 'desc').orderBy('id').limit(filter.limit).execute();
  }

  /** Live sessions of one tenant on every instance (the tenant quota's count). */
  async liveCountOfTenant(tenantId: string): Promise<number> {
    const { n } = await this.db
      .selectFrom('browser_sessions')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('status', 'in', LIVE_SESSION_STATUSES)
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  /** Removes a `starting` row that a create gives up before opening anything (over its tenant's quota). */
  async deleteStarting(id: string): Promise<void> {
    await this.db.deleteFrom('browser_sessions').where('id', '=', id).where('status', '=', 'starting').execute();
  }

  async thumbnail(id: string): Promise<{ thumbnail: string | null; thumbnail_at: number | null } | undefined> {
    return this.db.selectFrom('browser_sessions').select(['thumbnail', 'thumbnail_at']).where('id', '=', id).executeTakeFirst();
  }

  /** Live sessions owned by one instance. */
  async liveOwnedBy(instanceId: string): Promise<SessionRow[]> {
    return this.db
      .selectFrom('browser_sessions')
      .select(COLUMNS)
      .where('owner_instance_id', '=', instanceId)
      .where('status', 'in', LIVE_SESSION_STATUSES)
      .execute();
  }

  /** Every live session, of any owner. */
  async allLive(): Promise<Array<Pick<SessionRow, 'id' | 'tenant_id' | 'owner_instance_id'>>> {
    return this.db.selectFrom('browser_sessions').select(['id', 'tenant_id', 'owner_instance_id']).where('status', 'in', LIVE_SESSION_STATUSES).execute();
  }

  /** `starting` → `ready` after the start URL loaded; false when the session ended meanwhile. */
  async markReady(id: string, page: PageSnapshot, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('browser_sessions')
      .set({ status: 'ready', last_activity_at: now, error: null, ...pageColumns(page, now) })
      .where('id', '=', id)
      .where('status', '=', 'starting')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records an action on a live session: activity now, where the page is, and what went wrong (or null). */
  async recordAction(id: string, now: number, page: PageSnapshot | null, error: string | null): Promise<void> {
    await this.db
      .updateTable('browser_sessions')
      .set({ last_activity_at: now, error, ...(page ? pageColumns(page, now) : {}) })
      .where('id', '=', id)
      .where('status', 'in', LIVE_SESSION_STATUSES)
      .execute();
  }

  /**
   * Ends live sessions. `activityAt` is set for ends that are actions (close); `page` keeps the last state a
   * failed load reached. Returns the ids actually ended by this call.
   */
  async end(
    ids: readonly string[],
    end: { status: SessionStatus; reason: SessionCloseReason; now: number; error?: string | null; activityAt?: number; page?: PageSnapshot | null },
  ): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.db
      .updateTable('browser_sessions')
      .set({
        status: end.status,
        close_reason: end.reason,
        closed_at: end.now,
        ...(end.error !== undefined ? { error: end.error } : {}),
        ...(end.activityAt !== undefined ? { last_activity_at: end.activityAt } : {}),
        ...(end.page ? pageColumns(end.page, end.now) : {}),
      })
      .where('id', 'in', ids)
      .where('status', 'in', LIVE_SESSION_STATUSES)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Orphans the sessions among `ids` that are still live; returns those it changed (for reconciliation's log). */
  async orphan(ids: readonly string[], reason: SessionCloseReason, now: number): Promise<Array<{ id: string; tenant_id: string; owner_instance_id: string }>> {
    if (ids.length === 0) return [];
    return this.db
      .updateTable('browser_sessions')
      .set({ status: 'orphaned', close_reason: reason, closed_at: now })
      .where('id', 'in', ids)
      .where('status', 'in', LIVE_SESSION_STATUSES)
      .returning(['id', 'tenant_id', 'owner_instance_id'])
      .execute();
  }

  /**
   * Expires one `ready` session of this instance if it is still past a deadline at `now`; the deadline is
   * re-checked in the update, so an action that just renewed the session wins over the reaper.
   */
  async expireIfDue(id: string, now: number): Promise<SessionCloseReason | null> {
    for (const reason of ['max-lifetime', 'idle-timeout'] as const) {
      const result = await this.db
        .updateTable('browser_sessions')
        .set({ status: 'expired', close_reason: reason, closed_at: now })
        .where('id', '=', id)
        .where('status', '=', 'ready')
        .where((eb) =>
          reason === 'max-lifetime'
            ? eb(eb('created_at', '+', eb.ref('max_lifetime_ms')), '<=', now)
            : eb(eb('last_activity_at', '+', eb.ref('idle_timeout_ms')), '<=', now),
        )
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) return reason;
    }
    return null;
  }

  /** Deletes sessions that ended before `before` (any owner: ended rows belong to no runtime). */
  async pruneEnded(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('browser_sessions')
      .where('status', 'not in', LIVE_SESSION_STATUSES)
      .where('closed_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Which of these ids the database still calls live. */
  async liveAmong(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('browser_sessions').select('id').where('id', 'in', ids).where('status', 'in', LIVE_SESSION_STATUSES).execute();
    return new Set(rows.map((r) => r.id));
  }
}

function pageColumns(page: PageSnapshot, now: number) {
  return {
    current_url: page.url.slice(0, 4096),
    title: page.title,
    blocked_requests: page.blockedRequests,
    ...(page.thumbnail !== null ? { thumbnail: page.thumbnail, thumbnail_at: now } : {}),
  };
}
