import 'server-only';
/**
 * This instance's view of the lock store: reachable, or unreachable since when and why. Every lock operation
 * reports its result here; the automation views read it to show `degraded` with a `lastError` naming the store.
 */
export class LockHealth {
  private failure: { message: string; since: number } | null = null;

  constructor(private readonly onChange: (healthy: boolean) => void = () => undefined) {}

  reportSuccess(): void {
    if (this.failure === null) return;
    this.failure = null;
    this.onChange(true);
  }

  reportFailure(message: string, now: number): void {
    const wasHealthy = this.failure === null;
    this.failure = { message, since: this.failure?.since ?? now };
    if (wasHealthy) this.onChange(false);
  }

  /** The failure message, or null while the store is reachable. */
  problem(): string | null {
    return this.failure?.message ?? null;
  }
}
