import { type Browser, type BrowserContext, type BrowserServer, type CDPSession, type Page, type Route, chromium } from 'playwright';
import { errorMessage, isAppError } from '../errors';
import type { Logger } from '../logger';
import { type OutboundPolicy, portOf } from '../net/outbound-policy';
import type { OutboundReach } from '../net/outbound.config';
import {
  type BrowserRuntime,
  type BrowserRuntimeStatus,
  type NavigationOutcome,
  type PageSnapshot,
  type Reservation,
  SessionNotHeldError,
} from './browser-runtime';
import { BLOCKED_HEADER, type PolicyProxy, type ProxyBlock, startPolicyProxy } from './policy-proxy';

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

/**
 * Runs in every document before its own scripts: takes WebRTC away from pages, so they cannot open peer
 * connections at all (the flags above already keep it from using UDP outside the proxy; this is the second wall).
 * Frames a page creates get the same treatment, since a fresh iframe would otherwise hand back the originals.
 */
export const WEBRTC_REMOVAL_SCRIPT = `(() => {
  const names = ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCRtpSender', 'RTCRtpReceiver', 'RTCIceCandidate', 'RTCSessionDescription'];
  const strip = (w) => { try { for (const n of names) { try { delete w[n]; } catch {} try { Object.defineProperty(w, n, { value: undefined, configurable: false, writable: false }); } catch {} } } catch {} };
  strip(window);
  try {
    const frameWindow = Object.getOwnPropertyDescriptor(HTMLIFrameElement.prototype, 'contentWindow');
    if (frameWindow && frameWindow.get) {
      const get = frameWindow.get;
      Object.defineProperty(HTMLIFrameElement.prototype, 'contentWindow', { ...frameWindow, get() { const w = get.call(this); if (w) strip(w); return w; } });
    }
  } catch {}
})();`;
const VIEWPORT = { width: 1280, height: 720 };
const THUMBNAIL_SCALE = 0.25;
const ACTION_TIMEOUT_MS = 15_000;
const MAX_TITLE_LENGTH = 500;

export interface PlaywrightRuntimeOptions {
  chromiumPath: string;
  /** The console runs as root: Chromium cannot use its sandbox (see {@link chromiumArgs}). */
  runAsRoot: boolean;
  maxSessions: number;
  navigationTimeoutMs: number;
  policy: OutboundPolicy;
  logger: Logger;
}

interface Block {
  /** Order of the block within the session, so a navigation can find the blocks it caused. */
  seq: number;
  reason: string;
  /** Refused by the route guard for the main frame's document. */
  mainDocument: boolean;
  tunnel: boolean;
}

/** Requests of one session refused by the policy, from the route guard and the proxy. */
interface BlockLog {
  count: number;
  nextSeq: number;
  /** The most recent blocks (bounded). */
  recent: Block[];
}

interface RuntimeSession {
  id: string;
  context: BrowserContext;
  proxy: PolicyProxy;
  /** What the page may reach; narrowed by a tenant's navigation, read by the proxy at every connection. */
  reach: OutboundReach;
  page: Page | null;
  cdp: CDPSession | null;
  blocks: BlockLog;
  /** Actions on one page run one at a time (a second navigation would abort the first). */
  queue: Promise<unknown>;
}

/**
 * The Playwright runtime: one Chromium (from CHROMIUM_PATH, never downloaded) per instance, launched as a
 * browser server so the runtime owns the process (its pid, and a kill on shutdown) and connected over its
 * WebSocket. Every context sends its traffic through its own policy proxy, and a route guard checks each
 * request the page makes against the same outbound policy.
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
      const blocks: BlockLog = { count: 0, nextSeq: 0, recent: [] };
      const state = { reach };
      const proxy = await startPolicyProxy(
        () => this.options.policy.scope('browser', state.reach),
        (block: ProxyBlock) => recordBlock(blocks, { reason: block.reason, mainDocument: false, tunnel: block.tunnel }),
      );
      let context: BrowserContext;
      try {
        context = await browser.newContext({
          proxy: { server: proxy.url },
          // Service workers' fetches bypass routing; downloads would write to this host's disk.
          serviceWorkers: 'block',
          acceptDownloads: false,
          viewport: VIEWPORT,
        });
      } catch (error) {
        await proxy.close();
        throw error;
      }
      const created: RuntimeSession = {
        id: sessionId,
        context,
        proxy,
        get reach() {
          return state.reach;
        },
        set reach(value: OutboundReach) {
          state.reach = value;
        },
        page: null,
        cdp: null,
        blocks,
        queue: Promise.resolve(),
      };
      session = created;
      this.sessions.set(sessionId, created);
      this.reserved.delete(sessionId);
      this.emitStatus();
      await context.addInitScript({ content: WEBRTC_REMOVAL_SCRIPT });
      await context.route('**/*', (route) => this.guard(created, route));
      const page = await context.newPage();
      created.page = page;
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
      return { png, page: await this.snapshot(session, page) };
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

  private async goto(session: RuntimeSession, url: URL): Promise<NavigationOutcome> {
    const page = session.page;
    if (!page) throw new SessionNotHeldError(session.id);
    const firstBlock = session.blocks.nextSeq;
    const blockedSince = () => session.blocks.recent.filter((b) => b.seq >= firstBlock);
    try {
      const response = await page.goto(url.href, { waitUntil: 'load', timeout: this.options.navigationTimeoutMs });
      const refused = response?.headers()[BLOCKED_HEADER];
      if (refused !== undefined) {
        return { ok: false, blocked: true, reason: `Blocked by the outbound policy: ${decodeURIComponent(refused)}`, page: await this.snapshot(session, page) };
      }
      return { ok: true, httpStatus: response?.status() ?? null, page: await this.snapshot(session, page) };
    } catch (error) {
      if (this.sessions.get(session.id) !== session || page.isClosed()) throw new SessionNotHeldError(session.id);
      const message = errorMessage(error);
      const blocks = blockedSince();
      const block = message.includes('ERR_BLOCKED_BY_CLIENT')
        ? blocks.findLast((b) => b.mainDocument)
        : message.includes('ERR_TUNNEL_CONNECTION_FAILED')
          ? blocks.findLast((b) => b.tunnel)
          : undefined;
      const snapshot = await this.snapshot(session, page).catch(() => null);
      if (block) return { ok: false, blocked: true, reason: `Blocked by the outbound policy: ${block.reason}`, page: snapshot };
      return { ok: false, blocked: false, reason: `Could not load ${url.href}: ${firstLine(error)}`, page: snapshot };
    }
  }

  /** The route guard: every request the page makes, checked against the policy before it leaves. */
  private async guard(session: RuntimeSession, route: Route): Promise<void> {
    const request = route.request();
    const reason = await this.refusal(session, request.url());
    if (reason === null) {
      await route.continue().catch(() => undefined);
      return;
    }
    let mainDocument = false;
    try {
      mainDocument = request.isNavigationRequest() && request.frame() === session.page?.mainFrame();
    } catch {
      // requests of service workers have no frame; they are blocked anyway
    }
    recordBlock(session.blocks, { reason, mainDocument, tunnel: false });
    await route.abort('blockedbyclient').catch(() => undefined);
  }

  /** Why the policy refuses a URL the page asked for, or null. A name that does not resolve is left to fail in the browser. */
  private async refusal(session: RuntimeSession, text: string): Promise<string | null> {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return 'not a valid URL';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol.replace(':', '')} URLs are not allowed (http and https only)`;
    try {
      await this.options.policy.scope('browser', session.reach).assertHostAllowed(url.hostname, portOf(url));
      return null;
    } catch (error) {
      return isAppError(error) ? error.message : null;
    }
  }

  private async snapshot(session: RuntimeSession, page: Page): Promise<PageSnapshot> {
    const title = await page.title().catch(() => '');
    return { url: page.url(), title: title.slice(0, MAX_TITLE_LENGTH), blockedRequests: session.blocks.count, thumbnail: await this.thumbnail(session, page) };
  }

  /** A quarter-size JPEG of the viewport via CDP (Playwright's screenshot cannot scale), or null. */
  private async thumbnail(session: RuntimeSession, page: Page): Promise<string | null> {
    try {
      session.cdp ??= await session.context.newCDPSession(page);
      const cdp = session.cdp;
      const shot = await withTimeout(
        cdp.send('Page.captureScreenshot', { format: 'jpeg', quality: 60, clip: { x: 0, y: 0, ...VIEWPORT, scale: THUMBNAIL_SCALE } }),
        ACTION_TIMEOUT_MS,
      );
      return `data:image/jpeg;base64,${shot.data}`;
    } catch (error) {
      this.options.logger.debug({ error: errorMessage(error), sessionId: session.id }, 'thumbnail not taken');
      return null;
    }
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

function recordBlock(log: BlockLog, block: Omit<Block, 'seq'>): void {
  log.count++;
  log.recent.push({ ...block, seq: log.nextSeq++ });
  if (log.recent.length > 50) log.recent.splice(0, log.recent.length - 50);
}

function firstLine(error: unknown): string {
  return (errorMessage(error).split('\n')[0] ?? '').slice(0, 500);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
