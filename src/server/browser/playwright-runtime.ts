import 'server-only';
import { type Browser, type BrowserServer, type Page, chromium } from 'playwright';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import type { OutboundPolicy } from '../net/outbound-policy';
import type { OutboundReach } from '../net/outbound.config';
import {
  type BrowserRuntime,
  type BrowserRuntimeStatus,
  type NavigationOutcome,
  type PageSnapshot,
  type Reservation,
  SessionNotHeldError,
} from './browser-runtime';
import { ACTION_TIMEOUT_MS, type RuntimeSession, createSessionContext, firstLine, gotoInSession, openGuardedPage, snapshotOf } from './session-page';

/**
 * Chromium's flags. It must not phone home (STACK.md). WebRTC may only use proxied transports: without these, a
 * page could send UDP (STUN, media) straight from this host, around the policy proxy, to any address. The sandbox
 * stays on unless the console runs as root, where Chromium refuses to start with it (the boot log says so).
 */
export function chromiumArgs(runAsRoot: boolean): string[] {
  return [
    ...(runAsRoot ? ['--no-sandbox'] : []),
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--webrtc-ip-handling-policy=disable_non_proxied_udp',
  ];
}

export interface PlaywrightRuntimeOptions {
  chromiumPath: string;
  /** The console runs as root: Chromium cannot use its sandbox (see {@link chromiumArgs}). */
  runAsRoot: boolean;
  maxSessions: number;
  navigationTimeoutMs: number;
  policy: OutboundPolicy;
  logger: Logger;
}

/**
 * The Playwright runtime: one Chromium (from CHROMIUM_PATH, never downloaded) per instance, launched as a
 * browser server so the runtime owns the process (its pid, and a kill on shutdown) and connected over its
 * WebSocket. Each session's context and page, with its policy proxy and route guard, are session-page.ts's.
 */
export class PlaywrightBrowserRuntime implements BrowserRuntime {
  private server: BrowserServer | null = null;
  private browser: Browser | null = null;
  private launching: Promise<Browser> | null = null;
  private failure: string | null = null;
  private draining: Promise<void> | null = null;
  private readonly sessions = new Map<string, RuntimeSession>();
  private readonly reserved = new Set<string>();
  private readonly cleanups = new Set<Promise<unknown>>();
  private readonly lostListeners: Array<(ids: string[], reason: string) => void> = [];
  private readonly statusListeners: Array<() => void> = [];

  constructor(private readonly options: PlaywrightRuntimeOptions) {}

  status(): BrowserRuntimeStatus {
    return {
      browserConnected: this.browser?.isConnected() ?? false,
      liveSessions: this.sessions.size,
      shuttingDown: this.draining !== null,
      failure: this.failure,
    };
  }

  /** The browser process id, while one runs (diagnostics; the crash test kills it). */
  browserPid(): number | null {
    return this.server?.process().pid ?? null;
  }

  holds(sessionId: string): boolean {
    return this.sessions.has(sessionId) || this.reserved.has(sessionId);
  }

  openSessionIds(): string[] {
    return [...this.sessions.keys()];
  }

  reserve(sessionId: string): Reservation {
    if (this.draining) return 'shutting-down';
    if (this.sessions.size + this.reserved.size >= this.options.maxSessions) return 'at-capacity';
    this.reserved.add(sessionId);
    return 'reserved';
  }

  release(sessionId: string): void {
    this.reserved.delete(sessionId);
  }

  pendingCleanups(): number {
    return this.cleanups.size;
  }

  onSessionsLost(listener: (ids: string[], reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  onStatusChange(listener: () => void): void {
    this.statusListeners.push(listener);
  }

  async open(sessionId: string, url: URL, reach: OutboundReach): Promise<NavigationOutcome> {
    if (!this.reserved.has(sessionId)) throw new Error(`Session ${sessionId} was not reserved`);
    let session: RuntimeSession | null = null;
    try {
      let browser: Browser;
      try {
        browser = await this.ensureBrowser();
      } catch (error) {
        return { ok: false, blocked: false, reason: `The browser could not be launched: ${firstLine(error)}`, page: null };
      }
      if (this.draining) return { ok: false, blocked: false, reason: 'This instance is shutting down', page: null };
      const created = await createSessionContext(browser, sessionId, reach, this.options.policy);
      session = created;
      this.sessions.set(sessionId, created);
      this.reserved.delete(sessionId);
      this.emitStatus();
      const page = await openGuardedPage(created, this.options.policy);
      page.on('crash', () => this.lose([sessionId], 'The page crashed'));
      const outcome = await this.goto(created, url);
      if (!outcome.ok) await this.closeSession(sessionId);
      return outcome;
    } catch (error) {
      if (session) await this.closeSession(sessionId);
      if (this.draining) return { ok: false, blocked: false, reason: 'This instance is shutting down', page: null };
      if (!this.browser?.isConnected()) return { ok: false, blocked: false, reason: 'The browser process exited while the session was opening', page: null };
      return { ok: false, blocked: false, reason: `Could not open the session: ${firstLine(error)}`, page: null };
    } finally {
      this.reserved.delete(sessionId);
    }
  }

  navigate(sessionId: string, url: URL, reach: OutboundReach): Promise<NavigationOutcome> {
    return this.act(sessionId, (session) => {
      session.reach = reach;
      return this.goto(session, url);
    });
  }

  screenshot(sessionId: string): Promise<{ png: Buffer; page: PageSnapshot }> {
    return this.act(sessionId, async (session, page) => {
      const png = await page.screenshot({ type: 'png', timeout: ACTION_TIMEOUT_MS });
      return { png, page: await snapshotOf(session, page, this.options.logger) };
    });
  }

  closeSession(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return Promise.resolve();
    // Forgotten first, so `holds` is false from now on and a second close is a no-op.
    this.sessions.delete(sessionId);
    this.emitStatus();
    return this.track(
      (async () => {
        await session.context.close().catch(() => undefined);
        await session.proxy.close();
      })(),
    );
  }

  shutdown(): Promise<void> {
    this.draining ??= (async () => {
      this.emitStatus();
      await Promise.all([...this.sessions.keys()].map((id) => this.closeSession(id)));
      await this.launching?.catch(() => undefined);
      const browser = this.browser;
      const server = this.server;
      this.browser = null;
      this.server = null;
      await browser?.close().catch(() => undefined);
      await server?.close().catch(() => undefined);
      await Promise.all([...this.cleanups]);
      this.emitStatus();
    })();
    return this.draining;
  }

  /** The connected browser, launching it when there is none (single flight: concurrent needs share one launch). */
  private ensureBrowser(): Promise<Browser> {
    if (this.browser?.isConnected()) return Promise.resolve(this.browser);
    this.launching ??= this.launch().finally(() => {
      this.launching = null;
    });
    return this.launching;
  }

  private async launch(): Promise<Browser> {
    const log = this.options.logger;
    let server: BrowserServer | null = null;
    try {
      server = await chromium.launchServer({
        executablePath: this.options.chromiumPath,
        args: chromiumArgs(this.options.runAsRoot),
        // Boot's SIGTERM handler closes the runtime in order; Playwright's own handlers would kill the browser
        // first and make a clean shutdown look like a crash.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      const browser = await chromium.connect(server.wsEndpoint());
      const launched = server;
      browser.on('disconnected', () => this.onDisconnected(browser, launched));
      this.server = server;
      this.browser = browser;
      this.failure = null;
      log.info({ pid: server.process().pid, version: browser.version() }, 'browser launched');
      this.emitStatus();
      return browser;
    } catch (error) {
      await server?.kill().catch(() => undefined);
      this.failure = `The browser could not be launched (CHROMIUM_PATH=${this.options.chromiumPath}): ${firstLine(error)}`;
      log.error({ error: errorMessage(error) }, 'browser launch failed');
      this.emitStatus();
      throw error;
    }
  }

  private onDisconnected(browser: Browser, server: BrowserServer): void {
    if (this.browser !== browser) return;
    this.browser = null;
    this.server = null;
    if (this.draining) return;
    // Not a shutdown: the process died (or its connection did). Make sure it is gone; relaunch on next need.
    void server.kill().catch(() => undefined);
    const exit = server.process();
    const how = exit.signalCode ? ` (signal ${exit.signalCode})` : exit.exitCode !== null ? ` (exit code ${exit.exitCode})` : '';
    this.failure = `The browser process exited unexpectedly${how}; it is relaunched when a session next needs it`;
    this.options.logger.error({ pid: exit.pid }, 'browser disconnected unexpectedly');
    this.lose([...this.sessions.keys()], 'The browser process exited unexpectedly');
  }

  /** Sessions that vanished without a close: forget them, release their proxies, tell the listeners. */
  private lose(ids: string[], reason: string): void {
    const lost = ids.filter((id) => this.sessions.has(id));
    for (const id of lost) void this.closeSession(id);
    if (lost.length > 0) for (const listener of this.lostListeners) listener(lost, reason);
    this.emitStatus();
  }

  private act<T>(sessionId: string, action: (session: RuntimeSession, page: Page) => Promise<T>): Promise<T> {
    const session = this.sessions.get(sessionId);
    if (!session) return Promise.reject(new SessionNotHeldError(sessionId));
    const run = async () => {
      const page = session.page;
      if (this.sessions.get(sessionId) !== session || !page) throw new SessionNotHeldError(sessionId);
      try {
        return await action(session, page);
      } catch (error) {
        // An action cut short because the session was closed or lost under it.
        if (this.sessions.get(sessionId) !== session || page.isClosed()) throw new SessionNotHeldError(sessionId);
        throw error;
      }
    };
    const result = session.queue.then(run, run);
    session.queue = result.catch(() => undefined);
    return result;
  }

  private goto(session: RuntimeSession, url: URL): Promise<NavigationOutcome> {
    return gotoInSession(session, url, this.options, () => this.sessions.get(session.id) === session);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.cleanups.add(work);
    void work.finally(() => this.cleanups.delete(work)).catch(() => undefined);
    return work;
  }

  private emitStatus(): void {
    for (const listener of this.statusListeners) listener();
  }
}
