import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { errorMessage } from '../errors';

/** What travels between instances. Small, and never carries secrets. */
export type ChangeEvent =
  /** An automation's view may have changed (pause, resume, run started/finished, dependency health). */
  | { type: 'automation'; key: string; reason: string }
  /** A token was revoked or changed: drop cached token lookups. */
  | { type: 'tokens' }
  /** An operator was created, disabled or re-roled (kept for consoles that cache operators; none does yet). */
  | { type: 'operators' }
  /** The set of instances or their runtime stats changed. */
  | { type: 'instances' }
  /** Ask every instance to run its own copy of a per-instance automation (reaper run-now). */
  | { type: 'run-request'; key: string; requestId: string; actor: string }
  | { type: 'run-reply'; key: string; requestId: string; ok: boolean; error: string | null };

export type Envelope = ChangeEvent & { origin: string; at: number };

/**
 * Carries change events to every instance, this one included. Delivery is best effort and at most once:
 * subscribers treat an event as "look again", never as the data itself, so a lost event costs freshness only
 * (views also refresh on their own timer).
 */
export interface ChangeBus {
  readonly kind: 'redis' | 'local';
  publish(event: ChangeEvent): Promise<void>;
  subscribe(listener: (event: Envelope) => void): () => void;
  close(): Promise<void>;
}

export class LocalChangeBus implements ChangeBus {
  readonly kind: 'redis' | 'local' = 'local';
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
 * Redis pub/sub on one channel. Local subscribers get the event at once (also while Redis is down); other
 * instances get it through Redis. Messages from this instance coming back through Redis are ignored.
 */
export class RedisChangeBus extends LocalChangeBus {
  override readonly kind = 'redis' as const;
  private readonly channel: string;

  constructor(
    origin: string,
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly onError: (message: string) => void,
  ) {
    super(origin);
    this.channel = `${prefix}changes`;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let envelope: Envelope;
      try {
        envelope = JSON.parse(message) as Envelope;
      } catch {
        return;
      }
      if (envelope.origin === this.origin) return;
      this.deliver(envelope);
    });
    // ioredis re-subscribes by itself after a reconnect.
    subscriber.subscribe(this.channel).catch((error: unknown) => this.onError(errorMessage(error)));
  }

  override async publish(event: ChangeEvent): Promise<void> {
    const envelope: Envelope = { ...event, origin: this.origin, at: Date.now() };
    this.deliver(envelope);
    try {
      await this.publisher.publish(this.channel, JSON.stringify(envelope));
    } catch (error) {
      this.onError(`change not published to other instances: ${errorMessage(error)}`);
    }
  }
}
