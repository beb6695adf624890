import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockGrant, LockProvider } from './lock-provider';

export interface LockProviderFixture {
  provider: LockProvider;
  /**
   * Moves the provider's clock forward by `ms`. Providers that run on real time (Redis) leave it out and the
   * suite waits instead.
   */
  advance?: (ms: number) => Promise<void>;
  cleanup: () => Promise<void>;
}

/** Long enough that a claim or grant cannot lapse while a test is still looking at it, however slow the machine. */
const LONG_TTL_MS = 60_000;
/** Short enough to wait out; tests only ever wait well past it, never race it. */
const SHORT_TTL_MS = 150;
const PAST_SHORT_TTL_MS = 400;

/**
 * The behaviours every {@link LockProvider} must show (see the TSDoc of the interface). Each implementation's
 * test file calls this once with a factory that builds a fresh, isolated provider per test.
 */
export function lockProviderContract(name: string, make: () => Promise<LockProviderFixture>): void {
  describe(`LockProvider contract: ${name}`, () => {
    let fixture: LockProviderFixture;
    let locks: LockProvider;

    beforeEach(async () => {
      fixture = await make();
      locks = fixture.provider;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    async function elapse(ms: number): Promise<void> {
      if (fixture.advance) await fixture.advance(ms);
      else await sleep(ms);
    }

    async function mustAcquire(lock: string, ttlMs: number, holder: string): Promise<LockGrant> {
      const grant = await locks.acquire(lock, ttlMs, holder);
      if (grant === null) throw new Error(`expected to acquire "${lock}" but it was held`);
      return grant;
    }

    describe('claimSlot', () => {
      it('grants a (name, slot) once and refuses it while the claim lives', async () => {
        expect(await locks.claimSlot('alert-evaluation', '1700000000000', LONG_TTL_MS)).toBe(true);
        expect(await locks.claimSlot('alert-evaluation', '1700000000000', LONG_TTL_MS)).toBe(false);
        expect(await locks.claimSlot('alert-evaluation', '1700000000000', LONG_TTL_MS)).toBe(false);
      });

      it('treats other slots of the same name and the same slot of other names as independent', async () => {
        expect(await locks.claimSlot('alert-evaluation', '1700000000000', LONG_TTL_MS)).toBe(true);
        expect(await locks.claimSlot('alert-evaluation', '1700000001000', LONG_TTL_MS)).toBe(true);
        expect(await locks.claimSlot('inference-monitoring-poll', '1700000000000', LONG_TTL_MS)).toBe(true);

        expect(await locks.claimSlot('alert-evaluation', '1700000000000', LONG_TTL_MS)).toBe(false);
        expect(await locks.claimSlot('alert-evaluation', '1700000001000', LONG_TTL_MS)).toBe(false);
        expect(await locks.claimSlot('inference-monitoring-poll', '1700000000000', LONG_TTL_MS)).toBe(false);
      });

      it('lets the slot be claimed again once the claim has expired', async () => {
        expect(await locks.claimSlot('alert-evaluation', '1700000000000', SHORT_TTL_MS)).toBe(true);
        await elapse(PAST_SHORT_TTL_MS);
        expect(await locks.claimSlot('alert-evaluation', '1700000000000', LONG_TTL_MS)).toBe(true);
        expect(await locks.claimSlot('alert-evaluation', '1700000000000', LONG_TTL_MS)).toBe(false);
      });

      it('answers true to exactly one of 20 concurrent claims of one slot', async () => {
        const replies = await Promise.all(Array.from({ length: 20 }, () => locks.claimSlot('alert-evaluation', '1700000000000', LONG_TTL_MS)));
        expect(replies.filter((claimed) => claimed)).toHaveLength(1);
      });
    });

    describe('acquire', () => {
      it('returns null while the mutex is held', async () => {
        await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-a');
        expect(await locks.acquire('run:alert-evaluation', LONG_TTL_MS, 'instance-b')).toBeNull();
      });

      it('keeps mutexes of different names independent', async () => {
        await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-a');
        expect(await locks.acquire('run:inference-monitoring-poll', LONG_TTL_MS, 'instance-b')).not.toBeNull();
      });

      it('gives each grant of a name a fence strictly greater than every earlier one', async () => {
        const fences: number[] = [];
        for (let i = 0; i < 3; i++) {
          const grant = await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-a');
          fences.push(grant.fence);
          expect(await locks.release('run:alert-evaluation', grant.token)).toBe(true);
        }
        const lapsing = await mustAcquire('run:alert-evaluation', SHORT_TTL_MS, 'instance-a');
        fences.push(lapsing.fence);
        await elapse(PAST_SHORT_TTL_MS);
        fences.push((await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-b')).fence);

        fences.reduce((previous, fence) => {
          expect(fence).toBeGreaterThan(previous);
          return fence;
        }, Number.NEGATIVE_INFINITY);
      });

      it('hands out different tokens to successive grants', async () => {
        const first = await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-a');
        await locks.release('run:alert-evaluation', first.token);
        const second = await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-a');
        expect(second.name).toBe('run:alert-evaluation');
        expect(second.token).not.toBe(first.token);
      });

      it('grants exactly one of 20 concurrent acquires of one name', async () => {
        const grants = await Promise.all(Array.from({ length: 20 }, (_, i) => locks.acquire('run:alert-evaluation', LONG_TTL_MS, `instance-${i}`)));
        expect(grants.filter((grant) => grant !== null)).toHaveLength(1);
        const winner = grants.findIndex((grant) => grant !== null);
        expect(await locks.holder('run:alert-evaluation')).toBe(`instance-${winner}`);
      });
    });

    describe('extend', () => {
      it('sets the holder’s mutex to expire ttl from now', async () => {
        const grant = await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-a');
        expect(await locks.extend('run:alert-evaluation', grant.token, SHORT_TTL_MS)).toBe(true);
        expect(await locks.holder('run:alert-evaluation')).toBe('instance-a');
        await elapse(PAST_SHORT_TTL_MS);
        expect(await locks.holder('run:alert-evaluation')).toBeNull();
        expect(await locks.acquire('run:alert-evaluation', LONG_TTL_MS, 'instance-b')).not.toBeNull();
      });

      it('refuses a wrong token and leaves the holder’s mutex alone', async () => {
        const grant = await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-a');
        expect(await locks.extend('run:alert-evaluation', 'not-the-token', LONG_TTL_MS)).toBe(false);
        expect(await locks.holder('run:alert-evaluation')).toBe('instance-a');
        expect(await locks.release('run:alert-evaluation', grant.token)).toBe(true);
      });

      it('fails once the mutex has expired, and does not revive it', async () => {
        const grant = await mustAcquire('run:alert-evaluation', SHORT_TTL_MS, 'instance-a');
        await elapse(PAST_SHORT_TTL_MS);
        expect(await locks.extend('run:alert-evaluation', grant.token, LONG_TTL_MS)).toBe(false);
        expect(await locks.holder('run:alert-evaluation')).toBeNull();
      });

      it('fails for a name that was never acquired', async () => {
        expect(await locks.extend('run:never-acquired', 'any-token', LONG_TTL_MS)).toBe(false);
      });
    });

    describe('release', () => {
      it('does nothing for a wrong token and returns false', async () => {
        await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-a');
        expect(await locks.release('run:alert-evaluation', 'not-the-token')).toBe(false);
        expect(await locks.holder('run:alert-evaluation')).toBe('instance-a');
        expect(await locks.acquire('run:alert-evaluation', LONG_TTL_MS, 'instance-b')).toBeNull();
      });

      it('releases for the right token once; a second release returns false', async () => {
        const grant = await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-a');
        expect(await locks.release('run:alert-evaluation', grant.token)).toBe(true);
        expect(await locks.holder('run:alert-evaluation')).toBeNull();
        expect(await locks.release('run:alert-evaluation', grant.token)).toBe(false);
        expect(await locks.acquire('run:alert-evaluation', LONG_TTL_MS, 'instance-b')).not.toBeNull();
      });
    });

    describe('holder', () => {
      it('names the holder while held and null after release', async () => {
        expect(await locks.holder('run:alert-evaluation')).toBeNull();
        const grant = await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'host-1:3000|worker');
        expect(await locks.holder('run:alert-evaluation')).toBe('host-1:3000|worker');
        await locks.release('run:alert-evaluation', grant.token);
        expect(await locks.holder('run:alert-evaluation')).toBeNull();
      });

      it('is null once the mutex has expired', async () => {
        await mustAcquire('run:alert-evaluation', SHORT_TTL_MS, 'instance-a');
        await elapse(PAST_SHORT_TTL_MS);
        expect(await locks.holder('run:alert-evaluation')).toBeNull();
      });
    });

    describe('a lapsed mutex', () => {
      it('can be taken by someone else, and the old token can then neither extend nor release it', async () => {
        const old = await mustAcquire('run:alert-evaluation', SHORT_TTL_MS, 'instance-a');
        await elapse(PAST_SHORT_TTL_MS);
        const next = await mustAcquire('run:alert-evaluation', LONG_TTL_MS, 'instance-b');
        expect(next.fence).toBeGreaterThan(old.fence);

        expect(await locks.extend('run:alert-evaluation', old.token, LONG_TTL_MS)).toBe(false);
        expect(await locks.release('run:alert-evaluation', old.token)).toBe(false);
        expect(await locks.holder('run:alert-evaluation')).toBe('instance-b');
        expect(await locks.release('run:alert-evaluation', next.token)).toBe(true);
      });
    });

    it('answers ping while the store is reachable', async () => {
      await expect(locks.ping()).resolves.toBeUndefined();
    });
  });
}
