import 'server-only';
import type { BrowserPort, RunContext } from '../automations/definition';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import type { BrowserRuntime, BrowserRuntimeStatus } from './browser-runtime';
import type { SessionChanges } from './browser-session-changes';
import type { BrowserSessionsRepository } from './browser-sessions.repository';
import type { BrowserSettings } from '../config/browser.config';

/**
 * What the browser automations act through (the {@link BrowserPort}): the reaper, reconciliation, the runtime's
 * status, and shutdown. It also records the sessions a crashed browser took with it. The session commands of the
 * surfaces are {@link BrowserSessionsService}'s; both keep the same promise: every end of a session is recorded
 * once, first reason wins, and the runtime's context is closed too (DB row and runtime agree).
 */
export class SessionUpkeep implements BrowserPort {
  private readonly cleanups = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: {
      repository: BrowserSessionsRepository;
      runtime: BrowserRuntime;
      changes: SessionChanges;
      settings: BrowserSettings;
      instanceId: string;
      isInstanceLive: (id: string) => Promise<boolean>;
      logger: Logger;
      now: () => number;
    },
  ) {
    deps.runtime.onSessionsLost((ids, reason) => {
      this.track(this.recordLost(ids, reason));
    });
    deps.runtime.onStatusChange(() => deps.changes.notify());
  }

  status(): BrowserRuntimeStatus {
    return this.deps.runtime.status();
  }

  /** Runtime cleanups in flight: context closes, and rows of crashed sessions still being recorded. */
  pendingCleanups(): number {
    return this.deps.runtime.pendingCleanups() + this.cleanups.size;
  }

  /**
   * The reaper: closes this instance's `ready` sessions past their idle timeout or max lifetime (row first, then
   * the context), closes contexts the runtime still has for sessions the database no longer calls live, and
   * deletes sessions that ended longer ago than the retention (so the table, and a tenant's delete, are not held
   * up by old records). Never launches the browser. Idempotent.
   */
  async reap(ctx: RunContext): Promise<{ closed: number }> {
    const { repository, runtime } = this.deps;
    const now = ctx.now();
    const rows = await repository.liveOwnedBy(this.deps.instanceId);
    let closed = 0;
    let checked = 0;
    ctx.progress(0, rows.length, 'sessions');
    for (const row of rows) {
      if (ctx.signal.aborted) break;
      ctx.progress(checked++, rows.length, 'sessions');
      if (row.status !== 'ready') continue; // a create is still loading it; its own answer decides
      const due = row.created_at + row.max_lifetime_ms <= now || row.last_activity_at + row.idle_timeout_ms <= now;
      if (!due) continue;
      const reason = await repository.expireIfDue(row.id, now);
      if (reason === null) continue;
      await runtime.closeSession(row.id);
      closed++;
      ctx.log(
        'info',
        `Closed session ${row.id}: ${reason === 'idle-timeout' ? 'idle past its timeout' : reason === 'max-lifetime' ? 'past its maximum lifetime' : reason}`,
        {
          sessionId: row.id,
          reason,
          tenantId: row.tenant_id,
        },
      );
    }
    ctx.progress(checked, rows.length, 'sessions');
    const strays = await this.closeStrays(ctx);
    const pruned = await repository.pruneEnded(now - this.deps.settings.retentionMs);
    if (pruned > 0) this.deps.logger.info({ pruned }, 'deleted browser sessions past their retention');
    if (closed + strays + pruned > 0) this.deps.changes.notify();
    return { closed };
  }

  /**
   * Reconciliation: a session the database calls live is `orphaned` when its owner is this instance and the
   * runtime does not hold it (`runtime-lost`), or its owner's heartbeat has lapsed (`owner-lapsed`). Sessions of
   * other live instances are never touched. A second run changes nothing.
   */
  async reconcile(ctx: RunContext): Promise<{ sessionsReconciled: number; tenantsScanned: number }> {
    const { repository, runtime } = this.deps;
    const sessions = await repository.allLive();
    // Scanned tenant by tenant, so progress counts tenants.
    const byTenant = new Map<string, typeof sessions>();
    for (const s of sessions) {
      const ofTenant = byTenant.get(s.tenant_id);
      if (ofTenant) ofTenant.push(s);
      else byTenant.set(s.tenant_id, [s]);
    }
    const ownerLive = new Map<string, boolean>();
    const orphaned: Record<'runtime-lost' | 'owner-lapsed', string[]> = { 'runtime-lost': [], 'owner-lapsed': [] };
    let tenantsScanned = 0;
    ctx.progress(0, byTenant.size, 'tenants');
    for (const ofTenant of byTenant.values()) {
      if (ctx.signal.aborted) break;
      for (const s of ofTenant) {
        if (s.owner_instance_id === this.deps.instanceId) {
          if (!runtime.holds(s.id)) orphaned['runtime-lost'].push(s.id);
          continue;
        }
        let live = ownerLive.get(s.owner_instance_id);
        if (live === undefined) {
          live = await this.deps.isInstanceLive(s.owner_instance_id);
          ownerLive.set(s.owner_instance_id, live);
        }
        if (!live) orphaned['owner-lapsed'].push(s.id);
      }
      ctx.progress(++tenantsScanned, byTenant.size, 'tenants');
    }
    const now = ctx.now();
    let reconciled = 0;
    for (const reason of ['runtime-lost', 'owner-lapsed'] as const) {
      const marked = await repository.orphan(orphaned[reason], reason, now);
      reconciled += marked.length;
      for (const m of marked) {
        const why = reason === 'runtime-lost' ? 'this instance owns it but its runtime does not hold it' : `its owner ${m.owner_instance_id} stopped beating`;
        ctx.log('info', `Marked session ${m.id} orphaned: ${why}`, { sessionId: m.id, reason, owner: m.owner_instance_id, tenantId: m.tenant_id });
      }
    }
    const strays = await this.closeStrays(ctx);
    if (reconciled + strays > 0) this.deps.changes.notify();
    return { sessionsReconciled: reconciled, tenantsScanned };
  }

  /**
   * Shutdown: refuse new sessions, close every context and the browser, then record this instance's live rows
   * as closed (`shutdown`) — after the runtime is down nothing holds them.
   */
  async shutdown(): Promise<void> {
    const stopping = this.deps.runtime.shutdown();
    this.deps.changes.notify();
    await stopping;
    const ids = (await this.deps.repository.liveOwnedBy(this.deps.instanceId)).map((r) => r.id);
    await this.deps.repository.end(ids, { status: 'closed', reason: 'shutdown', now: this.deps.now() });
    await Promise.all([...this.cleanups]);
  }

  private async recordLost(ids: string[], reason: string): Promise<void> {
    try {
      await this.deps.repository.end(ids, { status: 'error', reason: 'browser-crashed', now: this.deps.now(), error: reason });
      this.deps.changes.notify();
    } catch (error) {
      // Left live in the database; reconciliation marks them orphaned later (the runtime no longer holds them).
      this.deps.logger.warn({ error: errorMessage(error), sessions: ids }, 'could not record lost browser sessions');
    }
  }

  /** Closes contexts the runtime holds for sessions the database no longer calls live. */
  private async closeStrays(ctx: Pick<RunContext, 'log'>): Promise<number> {
    const { runtime, repository } = this.deps;
    // Only open contexts: reservations belong to creates in flight, which settle their own rows.
    const open = runtime.openSessionIds();
    if (open.length === 0) return 0;
    const live = await repository.liveAmong(open);
    const strays = open.filter((id) => !live.has(id));
    await Promise.all(strays.map((id) => runtime.closeSession(id)));
    // Their rows are gone or ended, so their tenants are not known here: one line, without ids (shown to every reader).
    if (strays.length > 0)
      ctx.log('info', `Closed ${strays.length} runtime context(s) of sessions that are no longer live`, { reason: 'stray-context', contexts: strays.length });
    return strays.length;
  }

  private track(work: Promise<unknown>): void {
    this.cleanups.add(work);
    void work.finally(() => this.cleanups.delete(work));
  }
}
