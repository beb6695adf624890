import 'server-only';
import type { PollRecord } from './inference.repository';

interface Queued {
  record: PollRecord;
  resolve: (stored: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Writes finished polls in batches, one batch at a time: a batch goes out `delayMs` after its first poll finished
 * (or at once when it is full), and polls that finish while a batch is being written go in the next one. A run of
 * N polls costs a transaction per `delayMs` of polling instead of one per poll; a poll's result reaches the
 * database at most `delayMs` plus one write later.
 *
 * After a failed write every queued and later poll is rejected with the same error: the run stops there, as it
 * would have with one write per poll.
 */
export class PollWriter {
  private readonly queue: Queued[] = [];
  private writing = false;
  private failure: { error: unknown } | null = null;
  /** Ends the wait for a batch to fill, while there is one. */
  private wake: (() => void) | null = null;

  constructor(
    private readonly write: (records: PollRecord[]) => Promise<Set<string>>,
    private readonly options: { batchSize: number; delayMs: number } = { batchSize: 250, delayMs: 25 },
  ) {}

  /** Queues one poll; resolves with whether it was stored once its batch is written. */
  add(record: PollRecord): Promise<boolean> {
    if (this.failure) return Promise.reject(this.failure.error);
    const done = new Promise<boolean>((resolve, reject) => this.queue.push({ record, resolve, reject }));
    if (!this.writing) void this.drain();
    else if (this.queue.length >= this.options.batchSize) this.wake?.();
    return done;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      if (this.queue.length < this.options.batchSize) await this.fullOrDue();
      const batch = this.queue.splice(0, this.options.batchSize);
      try {
        const stored = await this.write(batch.map((q) => q.record));
        for (const q of batch) q.resolve(stored.has(q.record.server.id));
      } catch (error) {
        this.failure ??= { error };
        for (const q of [...batch, ...this.queue.splice(0)]) q.reject(error);
      }
    }
    this.writing = false;
  }

  /** Resolves after `delayMs`, or as soon as a poll fills the batch. */
  private fullOrDue(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.options.delayMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
