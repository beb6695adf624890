/** The life of a browser session, as data. Pure: the console's sessions page reads these too. */

export const SESSION_STATUSES = ['starting', 'ready', 'closed', 'expired', 'orphaned', 'error'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** Statuses in which the database says a runtime holds the session. */
export const LIVE_SESSION_STATUSES = ['starting', 'ready'] as const satisfies readonly SessionStatus[];
export type LiveSessionStatus = (typeof LIVE_SESSION_STATUSES)[number];

export function isLiveStatus(status: SessionStatus): status is LiveSessionStatus {
  return (LIVE_SESSION_STATUSES as readonly string[]).includes(status);
}

/**
 * Why a session ended. `requested`: closed through the API or console; `idle-timeout` / `max-lifetime`: the
 * reaper; `shutdown`: its instance stopped; `browser-crashed`: the browser process died under it;
 * `runtime-lost`: reconciliation found that its own instance's runtime no longer holds it (a restart);
 * `owner-lapsed`: reconciliation found its owner instance's heartbeat lapsed; `load-failed`: the start URL
 * did not load (status `error`, see `error`).
 */
export const CLOSE_REASONS = [
  'requested',
  'idle-timeout',
  'max-lifetime',
  'shutdown',
  'browser-crashed',
  'runtime-lost',
  'owner-lapsed',
  'load-failed',
] as const;
export type SessionCloseReason = (typeof CLOSE_REASONS)[number];
