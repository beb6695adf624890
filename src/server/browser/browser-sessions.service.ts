import type { Kysely } from 'kysely';
import type { BrowserPort, RunContext } from '../automations/definition';
import type { Database } from '../db/schema';
import type { BrowserRuntime } from './browser-runtime';

/** Session statuses in which the database says a runtime holds the session. */
export const LIVE_SESSION_STATUSES = ['starting', 'ready'] as const;

/**
 * Browser sessions as the automations see them: reaping this instance's expired sessions and reconciling
 * sessions the database calls live with what the runtimes actually hold.
 */
export class BrowserSessionsService implements BrowserPort {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly runtime: BrowserRuntime,
    private readonly instanceId: string,
    private readonly isInstanceLive: (id: string) => Promise<boolean>,
  ) {}

  status() {
    return this.runtime.status();
  }

  pendingCleanups(): number {
    return this.runtime.pendingCleanups();
  }

  /** Closes this instance's live sessions past their idle timeout or max lifetime. Idempotent. */
  async reap(ctx: RunContext): Promise<{ closed: number }> {
    const now = ctx.now();
    const sessions = await this.db
      .selectFrom('browser_sessions')
      .select(['id', 'created_at', 'last_activity_at', 'idle_timeout_ms', 'max_lifetime_ms'])
      .where('owner_instance_id', '=', this.instanceId)
      .where('status', 'in', LIVE_SESSION_STATUSES)
      .execute();
    let closed = 0;
    for (const s of sessions) {
      if (ctx.signal.aborted) break;
      const reason =
        now - s.created_at >= s.max_lifetime_ms ? 'max-lifetime' : now - s.last_activity_at >= s.idle_timeout_ms ? 'idle-timeout' : null;
      if (!reason) continue;
      await this.runtime.closeSession(s.id);
      const result = await this.db
        .updateTable('browser_sessions')
        .set({ status: 'expired', closed_at: now, close_reason: reason })
        .where('id', '=', s.id)
        .where('status', 'in', LIVE_SESSION_STATUSES)
        .executeTakeFirst();
      closed += Number(result.numUpdatedRows);
    }
    return { closed };
  }

  /**
   * Marks as orphaned every session the database calls live that no runtime holds: owned by this instance but
   * absent from its runtime, or owned by an instance whose heartbeat has lapsed. Sessions of other live
   * instances are never touched. A second run changes nothing.
   */
  async reconcile(ctx: RunContext): Promise<{ sessionsReconciled: number; tenantsScanned: number }> {
    const sessions = await this.db
      .selectFrom('browser_sessions')
      .select(['id', 'tenant_id', 'owner_instance_id'])
      .where('status', 'in', LIVE_SESSION_STATUSES)
      .execute();
    const tenants = new Set<string>();
    const ownerLive = new Map<string, boolean>();
    let reconciled = 0;
    for (const s of sessions) {
      if (ctx.signal.aborted) break;
      tenants.add(s.tenant_id);
      let orphaned: boolean;
      if (s.owner_instance_id === this.instanceId) {
        orphaned = !this.runtime.holds(s.id);
      } else {
        let live = ownerLive.get(s.owner_instance_id);
        if (live === undefined) {
          live = await this.isInstanceLive(s.owner_instance_id);
          ownerLive.set(s.owner_instance_id, live);
        }
        orphaned = !live;
      }
      if (!orphaned) continue;
      const result = await this.db
        .updateTable('browser_sessions')
        .set({ status: 'orphaned', closed_at: ctx.now(), close_reason: 'reconciled: no runtime holds it' })
        .where('id', '=', s.id)
        .where('status', 'in', LIVE_SESSION_STATUSES)
        .executeTakeFirst();
      reconciled += Number(result.numUpdatedRows);
    }
    return { sessionsReconciled: reconciled, tenantsScanned: tenants.size };
  }
}
