import { describe, expect, it } from 'vitest';
import { type LeaseDeps, withLease } from './lease';
import { LocalLockProvider } from './local-lock-provider';
import { LockHealth } from './lock-health';

/** A lease on the in-process provider with a clock the test moves; renewals run on real (short) timers. */
function setup() {
  const clock = { now: 1_000_000 };
  const locks = new LocalLockProvider(() => clock.now);
  const renewed: number[] = [];
  const deps: LeaseDeps = {
    locks,
    lockHealth: new LockHealth(),
    owner: 'instance-a',
    now: () => clock.now,
    onRenewed: async (expiresAt) => {
      renewed.push(expiresAt);
    },
  };
  return { clock, locks, deps, renewed };
}

function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

describe('withLease', () => {
  it('runs the work under a fenced grant and releases it at once when the work ends', async () => {
    const { locks, deps } = setup();
    const first = await withLease(deps, 'run:x', 60_000, async (lease) => {
      expect(await locks.holder('run:x')).toBe('instance-a');
      return lease.fence;
    });
    expect(first).toEqual({ held: true, value: 1 });
    expect(await locks.holder('run:x')).toBeNull();
    expect(await withLease(deps, 'run:x', 60_000, async (lease) => lease.fence)).toEqual({ held: true, value: 2 });
  });

  it('answers a held lease with its holder and does not run the work', async () => {
    const { locks, deps } = setup();
    await locks.acquire('run:x', 60_000, 'instance-b');
    let ran = false;
    const result = await withLease(deps, 'run:x', 60_000, async () => {
      ran = true;
    });
    expect(result).toEqual({ held: false, holder: 'instance-b' });
    expect(ran).toBe(false);
  });

  it('releases the lease when the work throws, and passes the error on', async () => {
    const { locks, deps } = setup();
    await expect(withLease(deps, 'run:x', 60_000, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await locks.holder('run:x')).toBeNull();
  });

  it('renews while the work runs and tells what mirrors the lease', async () => {
    const { clock, deps, renewed } = setup();
    await withLease(deps, 'run:x', 90, async () => {
      while (renewed.length < 2) await new Promise((r) => setTimeout(r, 10));
    });
    expect(renewed.every((expiresAt) => expiresAt === clock.now + 90)).toBe(true);
  });

  it('aborts the work when the lease lapsed before it could be renewed', async () => {
    const { clock, deps } = setup();
    const result = await withLease(deps, 'run:x', 90, async (lease) => {
      clock.now += 1_000;
      return String(await aborted(lease.signal));
    });
    expect(result).toEqual({ held: true, value: 'Error: Run lost its lock (lease lapsed) and was aborted' });
  });
});
