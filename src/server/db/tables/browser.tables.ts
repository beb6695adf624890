import 'server-only';
import type { OutboundReach } from '../../net/outbound.config';
import type { SessionCloseReason, SessionStatus } from '../../../shared/session-statuses';

export interface BrowserTables {
  browser_sessions: BrowserSessionTable;
}

/** One browser session (a Chromium context + page in the runtime of `owner_instance_id`). Times are epoch ms. */
export interface BrowserSessionTable {
  id: string;
  tenant_id: string;
  owner_instance_id: string;
  status: SessionStatus;
  start_url: string;
  /**
   * What the page may reach: `tenant` once a tenant-restricted principal created or navigated it, and from then on
   * (the page's scripts may outlive a navigation, in popups); `platform` otherwise.
   */
  reach: OutboundReach;
  /** Where the page is now, as of the last action; null until the first load finished. */
  current_url: string | null;
  title: string | null;
  created_at: number;
  /** The last action (create, navigate, screenshot, close); reads do not move it. */
  last_activity_at: number;
  idle_timeout_ms: number;
  max_lifetime_ms: number;
  closed_at: number | null;
  close_reason: SessionCloseReason | null;
  /** Why the session failed or the last action did not do what was asked; null when fine. */
  error: string | null;
  /** Requests of the page refused by the outbound policy, as of the last action. */
  blocked_requests: number;
  /** A small JPEG of the page after the last action, as a data URL (served to the console without touching the page). */
  thumbnail: string | null;
  thumbnail_at: number | null;
}
