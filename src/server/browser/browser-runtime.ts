import 'server-only';
import type { OutboundReach } from '../net/outbound.config';
export interface BrowserRuntimeStatus {
  /** The runtime's browser process is connected now (false before the first launch and after a crash). */
  browserConnected: boolean;
  /** Sessions (context + page) open in this runtime now. */
  liveSessions: number;
  /** The runtime is draining for shutdown. */
  shuttingDown: boolean;
  /** Why the runtime is unusable now (crashed, failed to launch), or null. Not launched yet is not a failure. */
  failure: string | null;
}

/** What the page looks like after an action. */
export interface PageSnapshot {
  url: string;
  title: string;
  /** Requests of this session refused by the outbound policy so far. */
  blockedRequests: number;
  /** A small JPEG of the viewport as a data URL, or null when it could not be taken. */
  thumbnail: string | null;
}

/** How a navigation (the start URL of a new session, or a navigate action) ended. */
export type NavigationOutcome =
  | { ok: true; httpStatus: number | null; page: PageSnapshot }
  /** `blocked`: the outbound policy refused the main document (e.g. a redirect to a metadata address). */
  | { ok: false; blocked: boolean; reason: string; page: PageSnapshot | null };

export type Reservation = 'reserved' | 'at-capacity' | 'shutting-down';

/** Thrown by actions on a session the runtime does not hold (closed meanwhile, or lost in a crash). */
export class SessionNotHeldError extends Error {
  constructor(readonly sessionId: string) {
    super(`The browser runtime does not hold session ${sessionId}`);
    this.name = 'SessionNotHeldError';
  }
}

/**
 * The browser runtime of one instance: one browser process, one context + page per session. It knows nothing
 * about the database; {@link BrowserSessionsService} keeps the session rows in step with it.
 *
 * Guarantees: the browser is launched on first need (never by reads, the reaper or reconciliation) and
 * relaunched on the next need after a crash; capacity is reserved synchronously, so concurrent creates cannot
 * exceed the cap; actions on one session run one at a time; `closeSession` and `shutdown` are idempotent.
 */
export interface BrowserRuntime {
  status(): BrowserRuntimeStatus;
  /** Whether this runtime holds the session: open, or reserved by a create in flight. */
  holds(sessionId: string): boolean;
  /** Sessions whose context is open now (not reservations). */
  openSessionIds(): string[];
  /** Takes one of the per-instance slots for a session about to be opened; `release` gives it back unused. */
  reserve(sessionId: string): Reservation;
  release(sessionId: string): void;
  /** Opens a reserved session's context and page and loads the URL; on failure the session is closed again. */
  /** `reach`: what the session's page may connect to (its proxy and route guard enforce it on every request). */
  open(sessionId: string, url: URL, reach: OutboundReach): Promise<NavigationOutcome>;
  /** Loads `url`; `reach` replaces the session's reach from this navigation on. */
  navigate(sessionId: string, url: URL, reach: OutboundReach): Promise<NavigationOutcome>;
  /** A PNG of the viewport, and the page after it was taken. */
  screenshot(sessionId: string): Promise<{ png: Buffer; page: PageSnapshot }>;
  /** Closes one session's context; resolves when it is closed. */
  closeSession(sessionId: string): Promise<void>;
  /** Runtime cleanups (context closes) still in flight. */
  pendingCleanups(): number;
  /** Called with the sessions that vanished without being closed (browser crash, page crash) and why. */
  onSessionsLost(listener: (sessionIds: string[], reason: string) => void): void;
  /** Called whenever `status()` may have changed. */
  onStatusChange(listener: () => void): void;
  /** Refuses new sessions at once, then closes every session and the browser. */
  shutdown(): Promise<void>;
}
