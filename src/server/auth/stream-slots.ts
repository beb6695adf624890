import 'server-only';
import { AppError } from '../errors';

/**
 * Counts long-lived streams (live tRPC subscriptions over SSE) per holder and in total on this instance, so one
 * operator's tabs, or everyone together, cannot hold an unbounded number of connections and change-bus listeners.
 */
export class StreamSlots {
  private total = 0;
  private readonly byHolder = new Map<string, number>();

  constructor(private readonly limits: { max: number; perHolder: number }) {}

  /**
   * Takes a slot for `holder` or throws RATE_LIMITED saying which cap was hit. The returned release is idempotent
   * and is also called when `signal` aborts, so a stream that never started cannot keep its slot.
   */
  acquire(holder: string, signal: AbortSignal | undefined): () => void {
    const mine = this.byHolder.get(holder) ?? 0;
    if (mine >= this.limits.perHolder) {
      throw new AppError('RATE_LIMITED', `Too many live views open for this operator (${this.limits.perHolder}); close some tabs`, { retryAfterSeconds: 5 });
    }
    if (this.total >= this.limits.max) {
      throw new AppError('RATE_LIMITED', `This instance serves its maximum of ${this.limits.max} live views; try again shortly`, { retryAfterSeconds: 5 });
    }
    this.total++;
    this.byHolder.set(holder, mine + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      signal?.removeEventListener('abort', release);
      this.total--;
      const left = (this.byHolder.get(holder) ?? 1) - 1;
      if (left <= 0) this.byHolder.delete(holder);
      else this.byHolder.set(holder, left);
    };
    if (signal?.aborted) release();
    else signal?.addEventListener('abort', release, { once: true });
    return release;
  }

  open(): number {
    return this.total;
  }
}
