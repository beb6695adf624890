import 'server-only';
import { setMaxListeners } from 'node:events';
import { errorMessage, isAppError } from '../errors';
import type { LockHealth } from './lock-health';
import type { LockProvider } from './lock-provider';

/** A held lease, as the work under it sees it. */
export interface Lease {
  /** The grant's fence: higher than every earlier grant of this name. */
  readonly fence: number;
  /** Aborted when the lease is lost (it lapsed, or could not be renewed while it surely lasted). */
  readonly signal: AbortSignal;
}

export type LeaseResult<T> = { held: true; value: T } | { held: false; holder: string | null };

export interface LeaseDeps {
  locks: LockProvider;
  /** Told about every exchange with the lock store, so the views follow its health. */
  lockHealth: LockHealth;
  /** Recorded as the holder. */
  owner: string;
  now: () => number;
  /** How long the acquire took and what it gave (`granted`, `held`, `error`). */
  onAcquire?(result: 'granted' | 'held' | 'error', seconds: number): void;
  /** After each successful renewal, with the new expiry: extend what mirrors the lease (a run's database lease). */
  onRenewed?(expiresAt: number): Promise<void>;
  /** A renewal that failed (the lease is kept while it surely lasts). */
  onRenewalError?(error: unknown): void;
  /** The release failed: the lease lapses with its TTL. */
  onReleaseError?(error: unknown): void;
}

/**
 * Runs `fn` under the lease `name` (DESIGN §4.3): acquire (a held lease is a value: `{ held: false, holder }`), renew
 * every third of `ttlMs` while `fn` runs, abort `lease.signal` when the lease is lost, and release it at once when
 * `fn` settles (compare-and-delete by token, never someone else's grant). A renewal the store cannot answer keeps the
 * lease until two thirds of the TTL have passed since the last renewal, then aborts: the lock could lapse and be
 * granted elsewhere after that, and two holders must never overlap. Lock-store failures of the acquire throw
 * (`LOCK_STORE_UNAVAILABLE`), after being reported to the health.
 */
export async function withLease<T>(deps: LeaseDeps, name: string, ttlMs: number, fn: (lease: Lease) => Promise<T>): Promise<LeaseResult<T>> {
  const { locks, lockHealth, now } = deps;
  const started = performance.now();
  const observe = (result: 'granted' | 'held' | 'error') => deps.onAcquire?.(result, (performance.now() - started) / 1000);
  let grant;
  try {
    grant = await locks.acquire(name, ttlMs, deps.owner);
    lockHealth.reportSuccess();
    observe(grant ? 'granted' : 'held');
  } catch (error) {
    observe('error');
    reportStoreFailure(lockHealth, error, now());
    throw error;
  }
  if (!grant) return { held: false, holder: await locks.holder(name).catch(() => null) };

  const lost = new AbortController();
  // Everything the work starts may listen on the signal; Node's warning at 10 listeners would only be noise.
  setMaxListeners(0, lost.signal);
  let renewedAt = now();
  const renew = setInterval(() => {
    void (async () => {
      try {
        const held = await locks.extend(name, grant.token, ttlMs);
        lockHealth.reportSuccess();
        if (!held) lost.abort(new Error('Run lost its lock (lease lapsed) and was aborted'));
        else {
          renewedAt = now();
          await deps.onRenewed?.(renewedAt + ttlMs);
        }
      } catch (error) {
        reportStoreFailure(lockHealth, error, now());
        deps.onRenewalError?.(error);
        if (now() - renewedAt >= (ttlMs * 2) / 3) {
          lost.abort(new Error(`Run aborted: its lock could not be renewed (${errorMessage(error)})`));
        }
      }
    })();
  }, ttlMs / 3);
  try {
    return { held: true, value: await fn({ fence: grant.fence, signal: lost.signal }) };
  } finally {
    clearInterval(renew);
    await locks.release(name, grant.token).catch((error: unknown) => deps.onReleaseError?.(error));
  }
}

function reportStoreFailure(lockHealth: LockHealth, error: unknown, now: number): void {
  if (isAppError(error) && error.code === 'LOCK_STORE_UNAVAILABLE') lockHealth.reportFailure(error.message, now);
}
