import 'server-only';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { errorMessage } from '../errors';

/**
 * What changed about an automation, by what it makes stale. `key` is the automation's key, or `*` (and any key this
 * version does not know) for all of them.
 */
export type AutomationChange =
  /** A run started, finished, or was closed as abandoned: that automation's run history. */
  | { type: 'automation'; key: string; reason: 'run-started' | 'run-finished' | 'run-abandoned' }
  /** Its pause record was set or ended: the pause records (and its history, read with them). */
  | { type: 'automation'; key: string; reason: 'paused' | 'resumed' }
  /** The lock store became reachable or unreachable: every automation's state. */
  | { type: 'automation'; key: '*'; reason: 'lock-store-health' }
  /**
   * Published by the browser domain before it had {@link BrowserSessionsChange}; read as that event (also from
   * instances of an older version during a rolling deploy). To be removed once the browser domain publishes its own.
   */
  | { type: 'automation'; key: string; reason: 'browser-sessions' };

/** Browser sessions opened or ended, or this instance's browser runtime changed (the browser domain publishes it). */
export interface BrowserSessionsChange {
  type: 'browser-sessions';
}

/** What travels between instances. Small (but for a forwarded screenshot), and never carries secrets. */
export type ChangeEvent =
  | AutomationChange
  | BrowserSessionsChange
  /** A token was revoked or changed: drop cached token lookups. */
  | { type: 'tokens' }
  /** An operator was created, disabled or re-roled: anything that holds an operator's identity or role looks again. */
  | { type: 'operators' }
  /** Sessions ended (sign-out everywhere, an admin ending them, a disabled operator): open streams of them close. */
  | { type: 'sessions'; operatorId: string }
  /** The set of instances or their runtime stats changed. */
  | { type: 'instances' }
  /** Ask every instance to run its own copy of a per-instance automation (reaper run-now). */
  | { type: 'run-request'; key: string; requestId: string; actor: string }
  | { type: 'run-reply'; key: string; requestId: string; ok: boolean; error: string | null }
  /**
   * A browser-session action (navigate, screenshot, close) for the instance that holds the session's page, asked by
   * the instance a client reached (browser/session-forwarding.ts). `args` are the service call's arguments, encoded.
   */
  | { type: 'browser-action'; requestId: string; target: string; action: string; args: unknown }
  /**
   * The owner's answer: `accepted` at once, then `done` with the encoded result or the coded error. A screenshot's
   * result carries the PNG (base64, bounded by MAX_FORWARDED_CHARS): the one event that is not small.
   */
  | {
      type: 'browser-action-reply';
      requestId: string;
      phase: 'accepted' | 'done';
      result?: unknown;
      error?: { code: string; message: string; retryAfterSeconds?: number };
    };

export type Envelope = ChangeEvent & { origin: string; at: number };

/**
 * Carries change events to every instance, this one included. Delivery is best effort and at most once:
 * subscribers treat an event as "look again", never as the data itself, so a lost event costs freshness only
 * (views also refresh on their own timer).
 */
export interface ChangeBus {
  /** The carrier to other processes: Redis pub/sub, the database's change feed, or none (this process only). */
  readonly kind: 'redis' | 'database' | 'local';
  publish(event: ChangeEvent): Promise<void>;
  subscribe(listener: (event: Envelope) => void): () => void;
  close(): Promise<void>;
}

export class LocalChangeBus implements ChangeBus {
  readonly kind: ChangeBus['kind'] = 'local';
  protected readonly emitter = new EventEmitter();

  constructor(protected readonly origin: string) {
    this.emitter.setMaxListeners(0);
  }

  async publish(event: ChangeEvent): Promise<void> {
    this.deliver({ ...event, origin: this.origin, at: Date.now() });
  }

  subscribe(listener: (event: Envelope) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }

  protected deliver(envelope: Envelope): void {
    for (const listener of this.emitter.listeners('event') as Array<(e: Envelope) => void>) {
      try {
        listener(envelope);
      } catch {
        // one failing subscriber must not starve the others
      }
    }
  }
}

/**
 * Names this process among everything publishing on one carrier. The origin of an envelope is the instance id,
 * which the console's CLI shares when run with the console's environment (INSTANCE_ID, or host and PORT): skipping
 * "my own" messages by instance id made the console drop the CLI's revocations. A per-process id does not.
 */
export function processSender(instanceId: string): string {
  return `${instanceId}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

/**
 * Redis pub/sub on one channel. Local subscribers get the event at once (also while Redis is down); other
 * processes get it through Redis. Messages from this process coming back through Redis are ignored.
 */
export class RedisChangeBus extends LocalChangeBus {
  override readonly kind = 'redis' as const;
  private readonly channel: string;
  private readonly sender: string;

  constructor(
    origin: string,
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly onError: (message: string) => void,
  ) {
    super(origin);
    this.channel = `${prefix}changes`;
    this.sender = processSender(origin);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let parsed: Envelope & { sender?: string };
      try {
        parsed = JSON.parse(message) as Envelope & { sender?: string };
      } catch {
        return;
      }
      // Messages of older versions carry no sender: their origin is the best guess of "mine".
      const { sender, ...envelope } = parsed;
      if (sender === undefined ? envelope.origin === this.origin : sender === this.sender) return;
      this.deliver(envelope as Envelope);
    });
    // ioredis re-subscribes by itself after a reconnect. A subscription still pending when its connection is closed
    // (the owner quit it, or it dropped and will reconnect) is no fault to report.
    subscriber.subscribe(this.channel).catch((error: unknown) => {
      if (subscriber.status === 'end' || subscriber.status === 'close' || subscriber.status === 'reconnecting') return;
      this.onError(errorMessage(error));
    });
  }

  override async publish(event: ChangeEvent): Promise<void> {
    const envelope: Envelope = { ...event, origin: this.origin, at: Date.now() };
    this.deliver(envelope);
    try {
      await this.publisher.publish(this.channel, JSON.stringify({ ...envelope, sender: this.sender }));
    } catch (error) {
      this.onError(`change not published to other instances: ${errorMessage(error)}`);
    }
  }
}
