export interface BrowserRuntimeStatus {
  /** The runtime's browser process is connected now. */
  browserConnected: boolean;
  /** Sessions (context + page) open in this runtime now. */
  liveSessions: number;
  /** The runtime is draining for shutdown. */
  shuttingDown: boolean;
  /** Why the runtime is unusable now (crashed, failed to launch), or null. Not launched yet is not a failure. */
  failure: string | null;
}

/**
 * The browser runtime of one instance. The Playwright implementation arrives with the browser-sessions issue;
 * until then {@link UnlaunchedBrowserRuntime} stands for a runtime that has not been needed yet.
 */
export interface BrowserRuntime {
  status(): BrowserRuntimeStatus;
  /** Whether this runtime holds the session (its context is open). */
  holds(sessionId: string): boolean;
  /** Closes one session's context; resolves when it is closed. */
  closeSession(sessionId: string): Promise<void>;
  /** Runtime cleanups still in flight. */
  pendingCleanups(): number;
  /** Closes every session and the browser. */
  shutdown(): Promise<void>;
}

/** A runtime that has launched nothing: it holds no session, which is the truth on a console without sessions. */
export class UnlaunchedBrowserRuntime implements BrowserRuntime {
  private draining = false;

  status(): BrowserRuntimeStatus {
    return { browserConnected: false, liveSessions: 0, shuttingDown: this.draining, failure: null };
  }

  holds(): boolean {
    return false;
  }

  async closeSession(): Promise<void> {}

  pendingCleanups(): number {
    return 0;
  }

  async shutdown(): Promise<void> {
    this.draining = true;
  }
}
