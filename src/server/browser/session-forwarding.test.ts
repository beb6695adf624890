import { describe, expect, it } from 'vitest';
import { type ChangeEvent, type Envelope, LocalChangeBus } from '../coordination/change-bus';
import { AppError, isAppError } from '../errors';
import type { Logger } from '../logger';
import type { BrowserSessionsService } from './browser-sessions.service';
import { MAX_FORWARDED_CHARS, SessionForwarding, decode, encode, withForwarding } from './session-forwarding';
import { SessionHeldElsewhereError } from './session-held-elsewhere';
import { testCaller } from '../testing/callers';

/** In-process buses of two "instances" that hear each other, as Redis pub/sub would carry it. */
class LinkedBus extends LocalChangeBus {
  readonly peers: LinkedBus[] = [];
  override async publish(event: ChangeEvent): Promise<void> {
    const envelope = JSON.parse(JSON.stringify({ ...event, origin: this.origin, at: Date.now() })) as Envelope;
    for (const bus of [this, ...this.peers]) bus.deliver(envelope);
  }
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const ID = '00000000-0000-4000-8000-000000000001';

/** Instance `a` (asks) and `b` (owns ID); `b`'s service is `owner`, `a`'s own service always says "held by b". */
function pair(owner: Partial<Record<'navigate' | 'screenshot' | 'close', (...args: unknown[]) => Promise<unknown>>>, live: { b: boolean } = { b: true }) {
  const busA = new LinkedBus('a');
  const busB = new LinkedBus('b');
  busA.peers.push(busB);
  busB.peers.push(busA);
  const deps = (bus: LinkedBus, instanceId: string) => ({
    bus,
    instanceId,
    isInstanceLive: async (id: string) => id !== 'b' || live.b,
    replyWaitMs: 10_000,
    logger: silent,
  });
  const forwardingA = new SessionForwarding(deps(busA, 'a'));
  const forwardingB = new SessionForwarding(deps(busB, 'b'));
  const heldByB = async () => {
    throw new SessionHeldElsewhereError(ID, 'b', 'a');
  };
  const localA = { navigate: heldByB, screenshot: heldByB, close: heldByB } as unknown as BrowserSessionsService;
  return { sessions: withForwarding(localA, forwardingA), answer: () => forwardingB.listen(owner as unknown as BrowserSessionsService) };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('session forwarding', () => {
  it('runs the call on the owner with the arguments as given and answers its result, bytes included', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const seen: unknown[][] = [];
    const { sessions, answer } = pair({ screenshot: async (...args) => (seen.push(args), { png, session: { id: ID, title: 'T' } }) });
    answer();
    const caller = { label: 'token:ops', tenantId: null, scopes: new Set(['browser:read']) };
    const result = await sessions.screenshot(caller as never, ID);
    expect(Buffer.isBuffer(result.png) && result.png.equals(png)).toBe(true);
    expect(result.session).toEqual({ id: ID, title: 'T' });
    expect(seen).toEqual([[caller, ID]]);
  });

  it("carries the owner's coded error (status, message, Retry-After) and hides an unexpected one behind a reference", async () => {
    const { sessions, answer } = pair({
      navigate: async () => {
        throw new AppError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 7 });
      },
      close: async () => {
        throw new Error('secret internals at /srv/x');
      },
    });
    answer();
    const coded = await failure(sessions.navigate(testCaller('l'), ID, 'http://x/'));
    expect([coded.code, coded.message, coded.details.retryAfterSeconds]).toEqual(['RATE_LIMITED', 'slow down', 7]);
    const internal = await failure(sessions.close(testCaller('l'), ID));
    expect(internal.code).toBe('INTERNAL');
    expect(internal.message).toMatch(/^Internal error \(reference [0-9a-f]{8}\)$/);
  });

  it('refuses to send a result larger than the bound', async () => {
    const { sessions, answer } = pair({ screenshot: async () => ({ png: Buffer.alloc(Math.ceil((MAX_FORWARDED_CHARS * 3) / 4) + 1), session: {} }) });
    answer();
    const error = await failure(sessions.screenshot(testCaller('l'), ID));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain('larger than a forwarded answer may be');
  });

  it('answers 409 at once for an owner that is not live, and after the wait for one that never answers', async () => {
    const gone = pair({}, { b: false });
    const error = await failure(gone.sessions.navigate(testCaller('l'), ID, 'http://x/'));
    expect([error.code, error.message]).toEqual(['CONFLICT', expect.stringContaining('which is gone')]);
    const mute = pair({}); // b never listens
    const started = Date.now();
    const silence = await failure(mute.sessions.navigate(testCaller('l'), ID, 'http://x/'));
    expect([silence.code, silence.message]).toEqual(['CONFLICT', expect.stringContaining('did not answer within 3 s')]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });

  it('answers 409 when the owner lapses while it works on the call', async () => {
    const live = { b: true };
    const { sessions, answer } = pair({ navigate: () => new Promise(() => (live.b = false)) }, live);
    answer();
    const error = await failure(sessions.navigate(testCaller('l'), ID, 'http://x/'));
    expect([error.code, error.message]).toEqual(['CONFLICT', expect.stringContaining('which is gone')]);
  });

  it('ignores requests for actions it does not forward, and keeps other errors as they are', async () => {
    const bus = new LinkedBus('b');
    new SessionForwarding({ bus, instanceId: 'b', isInstanceLive: async () => true, replyWaitMs: 1_000, logger: silent }).listen({
      list: () => Promise.reject(new Error('called')),
    } as never);
    const replies: Envelope[] = [];
    bus.subscribe((e) => e.type === 'browser-action-reply' && replies.push(e));
    await bus.publish({ type: 'browser-action', requestId: 'r', target: 'b', action: 'list', args: [] });
    expect(replies).toEqual([]);
    const notFound = { navigate: () => Promise.reject(new AppError('NOT_FOUND', 'nope')) } as unknown as BrowserSessionsService;
    const facade = withForwarding(
      notFound,
      new SessionForwarding({ bus, instanceId: 'a', isInstanceLive: async () => true, replyWaitMs: 1_000, logger: silent }),
    );
    expect((await failure(facade.navigate(testCaller('l'), ID, 'http://x/'))).code).toBe('NOT_FOUND');
  });

  it('encodes bytes and sets so that decoding restores them', () => {
    const value = { png: Buffer.from('abc'), scopes: new Set(['a', 'b']), nested: [{ n: 1, s: 'x', z: null }] };
    const decoded = decode(JSON.parse(JSON.stringify(encode(value)))) as typeof value;
    expect(decoded.png.toString()).toBe('abc');
    expect([...decoded.scopes]).toEqual(['a', 'b']);
    expect(decoded.nested).toEqual([{ n: 1, s: 'x', z: null }]);
  });
});
