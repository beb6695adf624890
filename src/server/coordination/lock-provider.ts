import 'server-only';
/**
 * Mutual exclusion and slot claims across instances. Two implementations pass one contract suite
 * (`lock-provider.contract.ts`): {@link LocalLockProvider} for a single process and the Redis provider for many.
 *
 * Every method either answers or throws `AppError('LOCK_STORE_UNAVAILABLE')` — a provider never pretends to
 * grant a lock it could not record. Callers fail closed on that error.
 */
export interface LockProvider {
  readonly kind: 'redis' | 'local';

  /**
   * Claims `slot` of `name` (e.g. an automation key and its scheduled fire time). Returns true for exactly one
   * caller per (name, slot) while the claim lives. A claim is never released early: it expires after `ttlMs`,
   * which callers choose to be several schedule intervals, so a lagging clock cannot run the same slot twice.
   */
  claimSlot(name: string, slot: string, ttlMs: number): Promise<boolean>;

  /**
   * Takes the mutex `name` for `ttlMs` if nobody holds it. `holder` is stored beside the token so others can
   * see who holds it. Returns null when it is held. Each grant carries a fence: strictly greater than the fence
   * of every earlier grant of the same name.
   */
  acquire(name: string, ttlMs: number, holder: string): Promise<LockGrant | null>;

  /** Extends the mutex to `ttlMs` from now, only if `token` still holds it. Returns false when it was lost. */
  extend(name: string, token: string, ttlMs: number): Promise<boolean>;

  /** Releases the mutex only if `token` still holds it (compare-and-delete). Returns whether it did. */
  release(name: string, token: string): Promise<boolean>;

  /** Who holds the mutex now, or null. */
  holder(name: string): Promise<string | null>;

  /** Throws LOCK_STORE_UNAVAILABLE when the store cannot be reached. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

export interface LockGrant {
  name: string;
  token: string;
  fence: number;
}
