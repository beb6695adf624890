import 'server-only';
import type { Browser, BrowserContext, CDPSession, Page, Route } from 'playwright';
import { errorMessage, isAppError } from '../errors';
import type { Logger } from '../logger';
import { type OutboundPolicy, portOf } from '../net/outbound-policy';
import type { OutboundReach } from '../net/outbound.config';
import { type NavigationOutcome, type PageSnapshot, SessionNotHeldError } from './browser-runtime';
import { BLOCKED_HEADER, type PolicyProxy, type ProxyBlock, startPolicyProxy } from './policy-proxy';

/**
 * One browser session's context and page, and the two walls around them: the context sends all its traffic
 * through its own policy proxy, and a route guard checks every request the page makes against the same outbound
 * policy. Navigation tells a refused load from a failed one by the blocks it caused. The runtime
 * (playwright-runtime.ts) owns the browser process and decides when sessions open, act and close.
 */

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
export const ACTION_TIMEOUT_MS = 15_000;
const MAX_TITLE_LENGTH = 500;

/** What a session's page may touch, and how its refusals are told. */
export interface SessionPageOptions {
  policy: OutboundPolicy;
  navigationTimeoutMs: number;
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

export interface RuntimeSession {
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
 * A new context for `sessionId` behind its own policy proxy, which reads the session's reach at every connection.
 * No page yet: the runtime registers the session first, so whatever fails next closes it.
 */
export async function createSessionContext(browser: Browser, sessionId: string, reach: OutboundReach, policy: OutboundPolicy): Promise<RuntimeSession> {
  const blocks: BlockLog = { count: 0, nextSeq: 0, recent: [] };
  const state = { reach };
  const proxy = await startPolicyProxy(
    () => policy.scope('browser', state.reach),
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
  return {
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
}

/** Takes WebRTC away from the context's documents, puts the route guard in front of its requests, and opens its page. */
export async function openGuardedPage(session: RuntimeSession, policy: OutboundPolicy): Promise<Page> {
  await session.context.addInitScript({ content: WEBRTC_REMOVAL_SCRIPT });
  await session.context.route('**/*', (route) => guard(session, route, policy));
  const page = await session.context.newPage();
  session.page = page;
  return page;
}

/**
 * Loads `url` in the session's page. `stillHeld` says whether the runtime still holds this session: a failure
 * after it let go is the session's loss (SessionNotHeldError), not the page's.
 */
export async function gotoInSession(session: RuntimeSession, url: URL, options: SessionPageOptions, stillHeld: () => boolean): Promise<NavigationOutcome> {
  const page = session.page;
  if (!page) throw new SessionNotHeldError(session.id);
  const firstBlock = session.blocks.nextSeq;
  const blockedSince = () => session.blocks.recent.filter((b) => b.seq >= firstBlock);
  try {
    const response = await page.goto(url.href, { waitUntil: 'load', timeout: options.navigationTimeoutMs });
    const refused = response?.headers()[BLOCKED_HEADER];
    if (refused !== undefined) {
      return {
        ok: false,
        blocked: true,
        reason: `Blocked by the outbound policy: ${decodeURIComponent(refused)}`,
        page: await snapshotOf(session, page, options.logger),
      };
    }
    return { ok: true, httpStatus: response?.status() ?? null, page: await snapshotOf(session, page, options.logger) };
  } catch (error) {
    if (!stillHeld() || page.isClosed()) throw new SessionNotHeldError(session.id);
    const message = errorMessage(error);
    const blocks = blockedSince();
    const block = message.includes('ERR_BLOCKED_BY_CLIENT')
      ? blocks.findLast((b) => b.mainDocument)
      : message.includes('ERR_TUNNEL_CONNECTION_FAILED')
        ? blocks.findLast((b) => b.tunnel)
        : undefined;
    const snapshot = await snapshotOf(session, page, options.logger).catch(() => null);
    if (block) return { ok: false, blocked: true, reason: `Blocked by the outbound policy: ${block.reason}`, page: snapshot };
    return { ok: false, blocked: false, reason: `Could not load ${url.href}: ${firstLine(error)}`, page: snapshot };
  }
}

/** The route guard: every request the page makes, checked against the policy before it leaves. */
async function guard(session: RuntimeSession, route: Route, policy: OutboundPolicy): Promise<void> {
  const request = route.request();
  const reason = await refusal(session, request.url(), policy);
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
async function refusal(session: RuntimeSession, text: string, policy: OutboundPolicy): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol.replace(':', '')} URLs are not allowed (http and https only)`;
  try {
    await policy.scope('browser', session.reach).assertHostAllowed(url.hostname, portOf(url));
    return null;
  } catch (error) {
    return isAppError(error) ? error.message : null;
  }
}

/** Where the page is, what it is called, how much the policy refused, and a thumbnail. */
export async function snapshotOf(session: RuntimeSession, page: Page, logger: Logger): Promise<PageSnapshot> {
  const title = await page.title().catch(() => '');
  return {
    url: page.url(),
    title: title.slice(0, MAX_TITLE_LENGTH),
    blockedRequests: session.blocks.count,
    thumbnail: await thumbnailOf(session, page, logger),
  };
}

/** A quarter-size JPEG of the viewport via CDP (Playwright's screenshot cannot scale), or null. */
async function thumbnailOf(session: RuntimeSession, page: Page, logger: Logger): Promise<string | null> {
  try {
    session.cdp ??= await session.context.newCDPSession(page);
    const cdp = session.cdp;
    const shot = await withTimeout(
      cdp.send('Page.captureScreenshot', { format: 'jpeg', quality: 60, clip: { x: 0, y: 0, ...VIEWPORT, scale: THUMBNAIL_SCALE } }),
      ACTION_TIMEOUT_MS,
    );
    return `data:image/jpeg;base64,${shot.data}`;
  } catch (error) {
    logger.debug({ error: errorMessage(error), sessionId: session.id }, 'thumbnail not taken');
    return null;
  }
}

function recordBlock(log: BlockLog, block: Omit<Block, 'seq'>): void {
  log.count++;
  log.recent.push({ ...block, seq: log.nextSeq++ });
  if (log.recent.length > 50) log.recent.splice(0, log.recent.length - 50);
}

export function firstLine(error: unknown): string {
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
