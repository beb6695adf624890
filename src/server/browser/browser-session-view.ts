import 'server-only';
import type { SessionRow } from './browser-sessions.repository';
import { type SessionView, isLiveStatus } from './browser.schemas';

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A session row as both surfaces answer it; the deadlines are shown only while the session is live. */
export function toView(row: SessionRow): SessionView {
  const live = isLiveStatus(row.status);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    ownerInstanceId: row.owner_instance_id,
    status: row.status,
    startUrl: row.start_url,
    currentUrl: row.current_url,
    title: row.title,
    createdAt: new Date(row.created_at).toISOString(),
    lastActivityAt: new Date(row.last_activity_at).toISOString(),
    idleTimeoutMs: row.idle_timeout_ms,
    maxLifetimeMs: row.max_lifetime_ms,
    idleExpiresAt: live ? iso(row.last_activity_at + row.idle_timeout_ms) : null,
    lifetimeExpiresAt: live ? iso(row.created_at + row.max_lifetime_ms) : null,
    closedAt: iso(row.closed_at),
    closeReason: row.close_reason,
    error: row.error,
    blockedRequests: row.blocked_requests,
    thumbnailAt: iso(row.thumbnail_at),
  };
}
