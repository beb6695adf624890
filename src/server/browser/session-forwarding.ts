import 'server-only';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ChangeBus, Envelope } from '../coordination/change-bus';
import { AppError, ERROR_TABLE, type ErrorCode, errorMessage, errorReference, internalErrorMessage, isAppError } from '../errors';
import type { Logger } from '../logger';
import type { BrowserSessionsService } from './browser-sessions.service';
import { isHeldElsewhere } from './session-held-elsewhere';

/** The service methods that need the page, hence the owner instance; every other method answers anywhere. */
export const FORWARDED_ACTIONS = ['navigate', 'screenshot', 'close'] as const;
export type ForwardedAction = (typeof FORWARDED_ACTIONS)[number];
const actionSchema = z.enum(FORWARDED_ACTIONS);

/** How long the owner has to say it heard a forwarded call; silence means it is gone (or cannot hear the bus). */
export const FORWARD_ACK_WAIT_MS = 3_000;
/** How often the asking instance checks, while the owner works, that the owner is still live. */
const LIVENESS_CHECK_MS = 1_000;
/**
 * The largest encoded result the owner sends back (a screenshot, base64, is the only big one). A 1280×720 PNG is
 * at most ≈ 3.7 MB raw, ≈ 4.9 MB as base64, so this bound is never reached by a viewport screenshot; it keeps one
 * message from ever coming near Redis' pub/sub client buffer limits (8 MB soft, 32 MB hard by default).
 */
export const MAX_FORWARDED_CHARS = 8 * 1024 * 1024;

type ActionRequest = Extract<Envelope, { type: 'browser-action' }>;
type ActionReply = Extract<Envelope, { type: 'browser-action-reply' }>;
type Outcome = ActionReply | 'silent' | 'gone' | 'timeout';

export interface SessionForwardingDeps {
  bus: ChangeBus;
  instanceId: string;
  isInstanceLive: (id: string) => Promise<boolean>;
  /** The longest an action may take on the owner once it accepted (navigation timeout plus a margin). */
  replyWaitMs: number;
  logger: Logger;
}

/**
 * Browser-session actions on any instance (docs/browser.md "Behind a load balancer"): the page of a session lives
 * in its owner's runtime, so an action that reaches another instance is sent to the owner over the change bus, and
 * the owner runs the same service call and sends back its result or its coded error. The asking instance answers
 * the client as if it had acted itself. 409 remains only for an owner that is gone: not live before the call, silent
 * for {@link FORWARD_ACK_WAIT_MS}, or lapsed while it worked.
 *
 * Replies are heard from construction on; answering other instances' calls starts with {@link listen} (the browser
 * module's lifecycle), so a process that serves no one (the CLI, a test container) never acts for others.
 */
export class SessionForwarding {
  private readonly waiting = new Map<string, (reply: ActionReply) => void>();

  constructor(private readonly deps: SessionForwardingDeps) {
    deps.bus.subscribe((event) => {
      if (event.type === 'browser-action-reply') this.waiting.get(event.requestId)?.(event);
    });
  }

  /** Answers the calls other instances forward to this one, on `local` (which never forwards), until called. */
  listen(local: BrowserSessionsService): () => void {
    return this.deps.bus.subscribe((event) => {
      if (event.type === 'browser-action' && event.target === this.deps.instanceId && event.origin !== this.deps.instanceId) {
        void this.answer(local, event);
      }
    });
  }

  /** Runs `action` on the owner instance and answers with its result, or throws its error (or a 409 if it is gone). */
  async ask(sessionId: string, owner: string, action: ForwardedAction, args: unknown[]): Promise<unknown> {
    if (!(await this.deps.isInstanceLive(owner))) throw ownerGone(sessionId, owner);
    const requestId = randomUUID();
    const outcome = this.outcome(requestId, owner);
    await this.deps.bus.publish({ type: 'browser-action', requestId, target: owner, action, args: encode(args) });
    const reply = await outcome;
    if (reply === 'silent') {
      throw new AppError(
        'CONFLICT',
        `Browser session ${sessionId} is held by instance ${owner}, which did not answer within ${FORWARD_ACK_WAIT_MS / 1000} s (stopped, or cut off from the change bus); the session is lost with it if it stopped`,
      );
    }
    if (reply === 'gone') throw ownerGone(sessionId, owner);
    if (reply === 'timeout') {
      throw new AppError(
        'INTERNAL',
        `Instance ${owner} accepted the ${action} of browser session ${sessionId} but sent no result within ${this.deps.replyWaitMs / 1000} s`,
      );
    }
    if (reply.error) {
      const code: ErrorCode = Object.hasOwn(ERROR_TABLE, reply.error.code) ? (reply.error.code as ErrorCode) : 'INTERNAL';
      const retry = reply.error.retryAfterSeconds;
      throw new AppError(code, reply.error.message, retry === undefined ? {} : { retryAfterSeconds: retry });
    }
    return decode(reply.result);
  }

  /** Resolves with the owner's final reply, or why none came. Registered before the request is published. */
  private outcome(requestId: string, owner: string): Promise<Outcome> {
    return new Promise((resolve) => {
      const started = Date.now();
      let accepted = false;
      let settled = false;
      const finish = (value: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(ackTimer);
        clearInterval(check);
        this.waiting.delete(requestId);
        resolve(value);
      };
      const ackTimer = setTimeout(() => accepted || finish('silent'), FORWARD_ACK_WAIT_MS);
      const check = setInterval(() => {
        if (Date.now() - started > this.deps.replyWaitMs) return finish('timeout');
        if (!accepted) return;
        this.deps.isInstanceLive(owner).then(
          (live) => live || finish('gone'),
          () => undefined,
        );
      }, LIVENESS_CHECK_MS);
      this.waiting.set(requestId, (reply) => {
        if (reply.phase === 'accepted') accepted = true;
        else finish(reply);
      });
    });
  }

  /** Runs a forwarded call on this instance's own sessions and replies: `accepted` at once, then `done`. */
  private async answer(local: BrowserSessionsService, event: ActionRequest): Promise<void> {
    const action = actionSchema.safeParse(event.action);
    const args = decode(event.args);
    if (!action.success || !Array.isArray(args)) return;
    const { requestId } = event;
    await this.deps.bus.publish({ type: 'browser-action-reply', requestId, phase: 'accepted' });
    let reply: Pick<ActionReply, 'result' | 'error'>;
    try {
      const method = local[action.data] as (...a: unknown[]) => Promise<unknown>;
      const result = encode(await method.apply(local, args));
      const size = JSON.stringify(result).length;
      reply =
        size <= MAX_FORWARDED_CHARS
          ? { result }
          : {
              error: {
                code: 'INTERNAL',
                message: `The ${action.data} result (${size} characters encoded) is larger than a forwarded answer may be (${MAX_FORWARDED_CHARS}); call instance ${this.deps.instanceId} directly`,
              },
            };
    } catch (error) {
      if (isAppError(error)) {
        reply = {
          error: {
            code: error.code,
            message: error.message,
            ...(error.details.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.details.retryAfterSeconds }),
          },
        };
      } else {
        const reference = errorReference(error);
        this.deps.logger.error({ reference, action: action.data, error: errorMessage(error) }, 'forwarded browser action failed');
        reply = { error: { code: 'INTERNAL', message: internalErrorMessage(reference) } };
      }
    }
    await this.deps.bus.publish({ type: 'browser-action-reply', requestId, phase: 'done', ...reply });
  }
}

/**
 * The sessions service as every surface calls it: the forwarded actions try this instance first and go to the owner
 * when the session is held elsewhere; every other method is the service's own. Arguments travel as they were given,
 * whatever the methods' parameter lists are.
 */
export function withForwarding(local: BrowserSessionsService, forwarding: SessionForwarding): BrowserSessionsService {
  const facade = Object.create(local) as BrowserSessionsService;
  for (const action of FORWARDED_ACTIONS) {
    const own = local[action] as (...args: unknown[]) => Promise<unknown>;
    const forwarded = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await own.apply(local, args);
      } catch (error) {
        if (!isHeldElsewhere(error)) throw error;
        try {
          return await forwarding.ask(error.sessionId, error.ownerInstanceId, action, args);
        } catch (failure) {
          // The owner lapsed meanwhile: closing a session of a gone owner is done in the database, here.
          if (action === 'close' && failure instanceof OwnerGoneError) return own.apply(local, args);
          throw failure;
        }
      }
    };
    Object.defineProperty(facade, action, { value: forwarded });
  }
  return facade;
}

/** The 409 of a session whose owner is gone: no instance holds its page any more. */
class OwnerGoneError extends AppError {
  constructor(sessionId: string, owner: string) {
    super('CONFLICT', `Browser session ${sessionId} was held by instance ${owner}, which is gone (its heartbeat lapsed): the session ended with it`);
  }
}

function ownerGone(sessionId: string, owner: string): AppError {
  return new OwnerGoneError(sessionId, owner);
}

/** JSON-safe form of call arguments and results: bytes as base64, sets as arrays, tagged so decode restores them. */
export function encode(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (value instanceof Set) return { $set: [...value].map(encode) };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  return value;
}

export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (typeof record.$bytes === 'string' && Object.keys(record).length === 1) return Buffer.from(record.$bytes, 'base64');
  if (Array.isArray(record.$set) && Object.keys(record).length === 1) return new Set(record.$set.map(decode));
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decode(v)]));
}
