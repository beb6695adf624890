import 'server-only';
import { randomBytes } from 'node:crypto';
import type { ChangeBus, Envelope } from '../coordination/change-bus';
import type { LiveMessage } from '@/shared/live-message';

/** One event of a topic: its SSE id, what it says, and the same as the bytes every stream is written. */
export interface LiveEntry<T> {
  id: string;
  seq: number;
  message: LiveMessage<T>;
  bytes: Uint8Array;
}

/** Where a topic's events go: an SSE response (bytes) or a tRPC generator (messages). */
export interface LiveSink<T> {
  deliver(entry: LiveEntry<T>): void;
}

export interface LiveTopicOptions<T> {
  bus: ChangeBus;
  /** Which change events make the list stale. */
  matters: (event: Envelope) => boolean;
  read: () => Promise<T[]>;
  idOf: (item: T) => string;
  /** Re-read this often with no change event (fields that move with the clock: overdue, countdowns). */
  refreshMs: number;
  /** Change events arriving within this window after the first are answered by one read. */
  coalesceMs: number;
  /** Events kept for resuming after Last-Event-ID; an id older than these gets a snapshot. */
  keep: number;
  onError: (message: string) => void;
}

const encoder = new TextEncoder();
/** Streams written per turn of the event loop when an event fans out. */
const SLICE = 500;

/**
 * One shared broadcaster per live list on this instance: it hears the change bus once, reads the list once per
 * (coalesced) change, compares it with what it sent last, and turns what changed into one event — serialised once,
 * written as the same bytes to every stream. Events are numbered (`<epoch>-<seq>`, the epoch new with each topic,
 * so an id from another instance or an earlier topic is unknown here) and the last `keep` are kept, so a client
 * that reconnects with Last-Event-ID gets exactly the events it missed, or a snapshot when they are gone.
 */
export class LiveTopic<T> {
  private readonly epoch = randomBytes(4).toString('hex');
  private seq = 0;
  private state = new Map<string, { item: T; json: string }>();
  private order: string[] = [];
  private readonly log: Array<LiveEntry<T>> = [];
  private snapshotEntry: LiveEntry<T> | null = null;
  /** Each stream with the seq of the last event it was given (a stream never gets one twice or out of order). */
  private readonly sinks = new Map<LiveSink<T>, { seq: number }>();
  /** Events appended but not yet written to every stream; {@link pump} writes them in order, in slices. */
  private readonly pending: Array<LiveEntry<T>> = [];
  private pumping = false;
  private readonly ready: Promise<void>;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private dirty = false;
  private readonly refresh: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly options: LiveTopicOptions<T>) {
    this.unsubscribe = options.bus.subscribe((event) => {
      if (options.matters(event)) this.schedule();
    });
    this.refresh = setInterval(() => this.schedule(), options.refreshMs);
    this.refresh.unref();
    this.ready = this.update();
  }

  /** Streams following this topic. */
  size(): number {
    return this.sinks.size;
  }

  /**
   * Adds a stream: first what it lacks — the events after `lastEventId` when they are all still kept (none when it
   * is current), else a snapshot — then every event from now on.
   */
  async join(sink: LiveSink<T>, lastEventId: string | null): Promise<void> {
    await this.ready;
    if (this.closed) throw new Error('live topic closed');
    const missed = this.after(lastEventId);
    if (missed === null) sink.deliver(this.snapshot());
    else for (const entry of missed) sink.deliver(entry);
    this.sinks.set(sink, { seq: this.seq });
  }

  leave(sink: LiveSink<T>): void {
    this.sinks.delete(sink);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.refresh);
    if (this.timer) clearTimeout(this.timer);
    this.sinks.clear();
  }

  /** The kept events after `lastEventId`, or null when that id is not one of this topic's or is too old. */
  private after(lastEventId: string | null): Array<LiveEntry<T>> | null {
    if (!lastEventId) return null;
    const match = /^([0-9a-f]+)-(\d+)$/.exec(lastEventId);
    if (!match || match[1] !== this.epoch) return null;
    const seen = Number(match[2]);
    if (seen > this.seq) return null;
    if (seen === this.seq) return [];
    const first = this.log[0];
    if (!first || first.seq > seen + 1) return null;
    return this.log.filter((e) => e.seq > seen);
  }

  private snapshot(): LiveEntry<T> {
    if (this.snapshotEntry?.seq === this.seq) return this.snapshotEntry;
    const items = this.order.map((id) => this.state.get(id) as { item: T; json: string });
    const json = `{"kind":"snapshot","items":[${items.map((i) => i.json).join(',')}]}`;
    this.snapshotEntry = this.entry({ kind: 'snapshot', items: items.map((i) => i.item) }, json);
    return this.snapshotEntry;
  }

  private entry(message: LiveMessage<T>, json: string): LiveEntry<T> {
    const id = `${this.epoch}-${this.seq}`;
    return { id, seq: this.seq, message, bytes: encoder.encode(`id: ${id}\ndata: ${json}\n\n`) };
  }

  /** A change: one read answers every event of the next `coalesceMs`, and those during a read get one more. */
  private schedule(): void {
    if (this.closed) return;
    if (this.running || this.timer) {
      this.dirty = true;
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.update();
    }, this.options.coalesceMs);
  }

  private async update(): Promise<void> {
    this.running = true;
    this.dirty = false;
    try {
      const list = await this.options.read();
      if (!this.closed) this.apply(list);
    } catch (error) {
      this.options.onError(error instanceof Error ? error.message : String(error));
    } finally {
      this.running = false;
      if (this.dirty) this.schedule();
    }
  }

  /** Compares the list read with the state sent, and broadcasts what changed (nothing when nothing did). */
  private apply(list: T[]): void {
    const next = new Map<string, { item: T; json: string }>();
    const order: string[] = [];
    const upsert: Array<{ item: T; json: string }> = [];
    for (const item of list) {
      const id = this.options.idOf(item);
      const json = JSON.stringify(item);
      const entry = { item, json };
      next.set(id, entry);
      order.push(id);
      if (this.state.get(id)?.json !== json) upsert.push(entry);
    }
    const remove = this.order.filter((id) => !next.has(id));
    const reordered = order.length !== this.order.length || order.some((id, i) => this.order[i] !== id);
    // The first read is no event; but when it failed and streams joined with an empty snapshot, the next read is.
    const first = this.seq === 0 && this.sinks.size === 0;
    this.state = next;
    this.order = order;
    if (!first && upsert.length === 0 && remove.length === 0 && !reordered) return;
    this.seq++;
    if (first) return;
    const json =
      `{"kind":"delta","upsert":[${upsert.map((u) => u.json).join(',')}],"remove":${JSON.stringify(remove)}` +
      (reordered ? `,"order":${JSON.stringify(order)}}` : '}');
    const message: LiveMessage<T> = { kind: 'delta', upsert: upsert.map((u) => u.item), remove, ...(reordered ? { order } : {}) };
    const entry = this.entry(message, json);
    this.log.push(entry);
    if (this.log.length > this.options.keep) this.log.shift();
    this.pending.push(entry);
    if (!this.pumping) this.pump();
  }

  /**
   * Writes the pending events to every stream, {@link SLICE} streams at a time with a turn of the event loop
   * between slices, so other requests are answered while thousands of streams are written.
   */
  private pump(): void {
    this.pumping = true;
    const entry = this.pending[0];
    if (!entry || this.closed) {
      this.pumping = false;
      return;
    }
    const targets = [...this.sinks];
    let at = 0;
    const slice = () => {
      const stop = Math.min(at + SLICE, targets.length);
      for (; at < stop; at++) {
        const [sink, state] = targets[at] as [LiveSink<T>, { seq: number }];
        if (state.seq >= entry.seq || !this.sinks.has(sink)) continue;
        state.seq = entry.seq;
        try {
          sink.deliver(entry);
        } catch {
          // a stream that cannot take more is closed by its own sink; the others still get the event
        }
      }
      if (at < targets.length) return void setImmediate(slice);
      this.pending.shift();
      this.pump();
    };
    slice();
  }
}
