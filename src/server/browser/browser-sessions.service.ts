import 'server-only';
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log';
import type { Caller } from '../auth/caller';
import { type Page, decodeCursor, toPage } from '../db/keyset-page';
import { AppError, errorMessage, isAppError } from '../errors';
import { type OutboundPolicy, portOf } from '../net/outbound-policy';
import { type OutboundReach, reachOf } from '../net/outbound.config';
import { quotaExceeded } from '../tenants/tenant-quotas';
import type { TenantService } from '../tenants/tenant.service';
import { type BrowserRuntime, type NavigationOutcome, type PageSnapshot, SessionNotHeldError } from './browser-runtime';
import type { SessionChanges } from './browser-session-changes';
import { iso, toView } from './browser-session-view';
import { SessionHeldElsewhereError } from './session-held-elsewhere';
import type { BrowserSessionsRepository, SessionRow } from './browser-sessions.repository';
import type { BrowserSettings } from '../config/browser.config';
import { type CreateSessionInput, type ListSessionsQuery, type SessionView, isLiveStatus } from './browser.schemas';

/** What a read needs of its {@link Caller}: the tenant restriction. */
type SessionAccess = Pick<Caller, 'tenantId'>;

export interface BrowserSessionsDeps {
  repository: BrowserSessionsRepository;
  /** Tenants are read through their own domain (see docs/architecture.md), never their table. */
  tenants: Pick<TenantService, 'assertVisible' | 'names'>;
  runtime: BrowserRuntime;
  policy: OutboundPolicy;
  audit: AuditLog;
  changes: SessionChanges;
  settings: BrowserSettings;
  /** Live sessions one tenant may hold across all instances (TENANT_MAX_BROWSER_SESSIONS, a fair share of an instance). */
  tenantQuota: number;
  instanceId: string;
  isInstanceLive: (id: string) => Promise<boolean>;
  now: () => number;
}

/**
 * Browser sessions, as every surface sees them (REST, tRPC): the commands and reads. The reaper, reconciliation
 * and shutdown act on the same rows through SessionUpkeep (browser-session-upkeep.ts). The database row is the record every instance
 * reads; the runtime of the owner instance holds the page.
 *
 * Guarantees:
 * - create answers once the start URL loaded (`ready`) or failed (`error`, with the reason); it never exceeds the
 *   per-instance cap (429) nor the tenant's quota (409 QUOTA_EXCEEDED, below the instance's capacity, so one
 *   tenant never takes every slot) and is refused while the instance drains (503);
 * - navigate, screenshot and close count as activity; reads (get, list, thumbnail) never do;
 * - actions act on this instance's runtime only: a session another instance holds throws SessionHeldElsewhereError,
 *   which the forwarding facade (session-forwarding.ts) turns into a call on the owner;
 * - every end of a session (close, expiry, crash, shutdown, reconciliation) is recorded once, first reason wins,
 *   and the runtime's context is closed too (DB row and runtime agree).
 */
export class BrowserSessionsService {
  constructor(private readonly deps: BrowserSessionsDeps) {}

  async list(access: SessionAccess, query: ListSessionsQuery): Promise<SessionView[]> {
    if (query.tenantId !== undefined) await this.assertTenant(query.tenantId, access);
    const tenantId = access.tenantId ?? query.tenantId;
    const rows = await this.deps.repository.list({ tenantId, status: query.status, limit: query.limit });
    return rows.map(toView);
  }

  /** {@link list} with a cursor: the same order (newest first, then id), `nextCursor` null on the last page. */
  async listPage(access: SessionAccess, query: ListSessionsQuery & { cursor?: string }): Promise<Page<SessionView>> {
    if (query.tenantId !== undefined) await this.assertTenant(query.tenantId, access);
    const tenantId = access.tenantId ?? query.tenantId;
    const key = query.cursor === undefined ? undefined : decodeCursor('browser-sessions', query.cursor, ['number', 'string']);
    const after = key ? { createdAt: Number(key[0]), id: String(key[1]) } : undefined;
    const rows = await this.deps.repository.list({ tenantId, status: query.status, limit: query.limit + 1, after });
    return toPage('browser-sessions', rows, query.limit, (r) => [Number(r.created_at), r.id], toView);
  }

  async get(access: SessionAccess, id: string): Promise<SessionView> {
    return toView(await this.visible(id, access));
  }

  /** The console's thumbnail (taken after the last action); reading it does not touch the page. */
  async thumbnail(access: SessionAccess, id: string): Promise<{ dataUrl: string | null; capturedAt: string | null }> {
    await this.visible(id, access);
    const row = await this.deps.repository.thumbnail(id);
    return { dataUrl: row?.thumbnail ?? null, capturedAt: iso(row?.thumbnail_at ?? null) };
  }

  async tenantOptions(access: SessionAccess): Promise<Array<{ id: string; name: string }>> {
    return this.deps.tenants.names(access, { limit: 500 });
  }

  async create(actor: Caller, input: CreateSessionInput): Promise<SessionView> {
    const { settings, runtime, repository, now } = this.deps;
    const reach = reachOf(actor.tenantId);
    // Another tenant's id is "not found" whatever the URL, as for every other action of a restricted caller.
    if (actor.tenantId !== null) await this.assertTenant(input.tenantId, actor);
    const url = await this.checkedUrl(input.url, reach);
    await this.assertTenant(input.tenantId, actor);
    const idleTimeoutMs = input.idleTimeoutMs ?? settings.idleTimeout.defaultMs;
    const maxLifetimeMs = input.maxLifetimeMs ?? settings.maxLifetime.defaultMs;
    if (idleTimeoutMs > settings.idleTimeout.maxMs) {
      throw new AppError('INVALID_INPUT', `idleTimeoutMs must be at most ${settings.idleTimeout.maxMs} (BROWSER_IDLE_TIMEOUT_MAX_MS)`);
    }
    if (maxLifetimeMs > settings.maxLifetime.maxMs) {
      throw new AppError('INVALID_INPUT', `maxLifetimeMs must be at most ${settings.maxLifetime.maxMs} (BROWSER_MAX_LIFETIME_MAX_MS)`);
    }

    // Checked before taking a slot (so a tenant at its quota never holds one, even briefly) and again after the
    // row exists (so concurrent creates of one tenant cannot all pass: the last to count sees every row).
    const quota = this.deps.tenantQuota;
    if ((await repository.liveCountOfTenant(input.tenantId)) >= quota) throw sessionQuota(quota);
    const id = randomUUID();
    const reservation = runtime.reserve(id);
    if (reservation === 'shutting-down') {
      throw new AppError('SHUTTING_DOWN', 'This instance is shutting down and opens no new browser sessions', { retryAfterSeconds: 2 });
    }
    if (reservation === 'at-capacity') {
      throw new AppError(
        'RATE_LIMITED',
        `Browser session limit reached: this instance holds its maximum of ${settings.maxSessions} live sessions (BROWSER_MAX_SESSIONS); close one or retry later`,
        { retryAfterSeconds: await this.secondsUntilASlotFrees() },
      );
    }
    try {
      await repository.insertStarting({
        id,
        tenantId: input.tenantId,
        ownerInstanceId: this.deps.instanceId,
        startUrl: url.href,
        reach,
        now: now(),
        idleTimeoutMs,
        maxLifetimeMs,
      });
      if ((await repository.liveCountOfTenant(input.tenantId)) > quota) {
        await repository.deleteStarting(id);
        throw sessionQuota(quota);
      }
    } catch (error) {
      runtime.release(id);
      throw error;
    }
    this.deps.changes.notify();

    const outcome = await runtime.open(id, url, reach);
    if (outcome.ok) {
      const ready = await repository.markReady(id, outcome.page, now());
      // Ended while it loaded (shutdown): the row's end stands and the runtime lets go of the page.
      if (!ready) await runtime.closeSession(id);
    } else {
      await repository.end([id], { status: 'error', reason: 'load-failed', now: now(), error: outcome.reason, page: outcome.page });
    }
    const session = await this.reload(id);
    await this.deps.audit.record({
      actor: actor.label,
      action: 'browser.session.create',
      target: id,
      outcome: session.status,
      detail: { tenantId: input.tenantId, url: url.href, ...(outcome.ok ? {} : { error: outcome.reason }) },
    });
    this.deps.changes.notify();
    return session;
  }

  /**
   * Loads a URL in a live session of this instance. Answers once the page loaded or failed; a failure (network,
   * or a redirect the policy refused) is reported in the session's `error` and the session stays usable.
   * A tenant-restricted caller narrows the session's reach to `tenant` for good: scripts of a page it loaded can
   * outlive the navigation (popups), so the session never regains the platform's reach.
   */
  async navigate(actor: Caller, id: string, urlText: string): Promise<SessionView> {
    const row = await this.actionable(id, actor);
    const reach: OutboundReach = row.reach === 'tenant' || reachOf(actor.tenantId) === 'tenant' ? 'tenant' : 'platform';
    const url = await this.checkedUrl(urlText, reach);
    if (reach !== row.reach) await this.deps.repository.setReach(id, reach);
    const outcome = await this.inRuntime(id, () => this.deps.runtime.navigate(id, url, reach));
    await this.recordOutcome(id, outcome);
    const session = await this.reload(id);
    await this.deps.audit.record({
      actor: actor.label,
      action: 'browser.session.navigate',
      target: id,
      outcome: outcome.ok ? 'loaded' : outcome.blocked ? 'blocked' : 'failed',
      detail: { url: url.href, ...(outcome.ok ? {} : { error: outcome.reason }) },
    });
    this.deps.changes.notify();
    return session;
  }

  /** A PNG of the session's viewport. Counts as activity. */
  async screenshot(actor: Caller, id: string): Promise<{ png: Buffer; session: SessionView }> {
    await this.actionable(id, actor);
    let shot: { png: Buffer; page: PageSnapshot };
    try {
      shot = await this.inRuntime(id, () => this.deps.runtime.screenshot(id));
    } catch (error) {
      if (isAppError(error)) throw error;
      throw new AppError('INTERNAL', `The screenshot could not be taken: ${errorMessage(error).split('\n')[0] ?? ''}`);
    }
    await this.deps.repository.recordAction(id, this.deps.now(), shot.page, null);
    this.deps.changes.notify();
    return { png: shot.png, session: await this.reload(id) };
  }

  /**
   * Closes a session. Idempotent: closing an ended session answers it unchanged. A session whose owner instance
   * is gone (heartbeat lapsed) is closed in the database alone, since no runtime holds it.
   */
  async close(actor: Caller, id: string): Promise<SessionView> {
    const row = await this.visible(id, actor);
    if (!isLiveStatus(row.status)) return toView(row);
    const own = row.owner_instance_id === this.deps.instanceId;
    if (!own && (await this.deps.isInstanceLive(row.owner_instance_id))) throw this.heldElsewhere(row);
    const now = this.deps.now();
    const ended = await this.deps.repository.end([id], { status: 'closed', reason: 'requested', now, activityAt: now });
    if (own) await this.deps.runtime.closeSession(id);
    const session = await this.reload(id);
    await this.deps.audit.record({
      actor: actor.label,
      action: 'browser.session.close',
      target: id,
      outcome: ended > 0 ? 'closed' : `already ${session.status}`,
      detail: { tenantId: row.tenant_id, ownerInstanceId: row.owner_instance_id },
    });
    this.deps.changes.notify();
    return session;
  }

  private async recordOutcome(id: string, outcome: NavigationOutcome): Promise<void> {
    await this.deps.repository.recordAction(id, this.deps.now(), outcome.page, outcome.ok ? null : outcome.reason);
  }

  /** Parses with the outbound policy of that reach and refuses a host that resolves to a refused address (400). */
  private async checkedUrl(text: string, reach: OutboundReach): Promise<URL> {
    const scope = this.deps.policy.scope('browser', reach);
    const url = scope.parseUrl(text, 'url');
    try {
      await scope.assertHostAllowed(url.hostname, portOf(url), 'url');
    } catch (error) {
      // A name that does not resolve is not a policy matter: the page load reports it.
      if (isAppError(error)) throw error;
    }
    return url;
  }

  /** NOT_FOUND unless the tenant exists and the caller may see it: asked of the tenants domain, not its table. */
  private assertTenant(tenantId: string, access: SessionAccess): Promise<void> {
    return this.deps.tenants.assertVisible(access, tenantId);
  }

  /** The row, if the caller may see it; otherwise NOT_FOUND (other tenants' sessions do not exist for them). */
  private async visible(id: string, access: SessionAccess): Promise<SessionRow> {
    const row = await this.deps.repository.find(id);
    if (!row || (access.tenantId !== null && row.tenant_id !== access.tenantId)) {
      throw new AppError('NOT_FOUND', `Browser session not found: ${id}`);
    }
    return row;
  }

  /** The row of a session this instance can act on now: visible, ready, and held by this instance. */
  private async actionable(id: string, access: SessionAccess): Promise<SessionRow> {
    const row = await this.visible(id, access);
    if (row.status === 'starting') throw new AppError('CONFLICT', `Browser session ${id} is still starting`);
    if (!isLiveStatus(row.status)) {
      throw new AppError('CONFLICT', `Browser session ${id} is ${row.status}${row.close_reason ? ` (${row.close_reason})` : ''}`);
    }
    if (row.owner_instance_id !== this.deps.instanceId) throw this.heldElsewhere(row);
    return row;
  }

  private heldElsewhere(row: SessionRow): AppError {
    return new SessionHeldElsewhereError(row.id, row.owner_instance_id, this.deps.instanceId);
  }

  /**
   * Runs a runtime action. If the runtime does not hold the session although the row says live (lost in a crash
   * or a restart), the row is marked orphaned at once — reconciliation's rule, applied to this one session.
   */
  private async inRuntime<T>(id: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof SessionNotHeldError)) throw error;
      const row = await this.deps.repository.find(id);
      if (row && isLiveStatus(row.status) && !this.deps.runtime.holds(id)) {
        await this.deps.repository.end([id], { status: 'orphaned', reason: 'runtime-lost', now: this.deps.now() });
        this.deps.changes.notify();
      }
      const after = await this.deps.repository.find(id);
      throw new AppError('CONFLICT', `Browser session ${id} is ${after?.status ?? 'gone'}${after?.close_reason ? ` (${after.close_reason})` : ''}`);
    }
  }

  private async reload(id: string): Promise<SessionView> {
    const row = await this.deps.repository.find(id);
    if (!row) throw new AppError('INTERNAL', `Browser session ${id} vanished`);
    return toView(row);
  }

  /** Seconds until the soonest of this instance's live sessions reaches a deadline (for Retry-After). */
  private async secondsUntilASlotFrees(): Promise<number> {
    const now = this.deps.now();
    const rows = await this.deps.repository.liveOwnedBy(this.deps.instanceId).catch(() => []);
    const deadlines = rows.map((r) => Math.min(r.created_at + r.max_lifetime_ms, r.last_activity_at + r.idle_timeout_ms));
    const soonest = deadlines.length > 0 ? Math.min(...deadlines) : now;
    return Math.max(1, Math.ceil((soonest - now) / 1000));
  }
}

function sessionQuota(quota: number): AppError {
  return quotaExceeded('live browser sessions', quota, 'TENANT_MAX_BROWSER_SESSIONS');
}
