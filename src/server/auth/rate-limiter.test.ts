import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter';

/** A limiter on a clock the test moves. */
function limiter(limit: number, windowMs: number) {
  const clock = { now: Date.UTC(2024, 0, 1) };
  return { limits: new RateLimiter(limit, windowMs, () => clock.now), clock };
}

describe('RateLimiter', () => {
  it('allows `limit` hits per window, then refuses with the seconds left in the window', () => {
    const { limits, clock } = limiter(3, 10_000);
    expect([limits.hit('k'), limits.hit('k'), limits.hit('k')]).toEqual([
      { allowed: true },
      { allowed: true },
      { allowed: true },
    ]);
    expect(limits.hit('k')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    clock.now += 2_500;
    expect(limits.hit('k')).toEqual({ allowed: false, retryAfterSeconds: 8 });
  });

  it('never tells a refused caller to retry in less than one second', () => {
    const { limits, clock } = limiter(1, 10_000);
    limits.hit('k');
    clock.now += 9_999;
    expect(limits.hit('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('opens a new window once the old one has passed', () => {
    const { limits, clock } = limiter(2, 10_000);
    limits.hit('k');
    limits.hit('k');
    expect(limits.hit('k').allowed).toBe(false);
    clock.now += 10_000;
    expect(limits.hit('k')).toEqual({ allowed: true });
    expect(limits.hit('k')).toEqual({ allowed: true });
    expect(limits.hit('k').allowed).toBe(false);
  });

  it('counts keys separately', () => {
    const { limits } = limiter(1, 10_000);
    expect(limits.hit('token-a')).toEqual({ allowed: true });
    expect(limits.hit('token-a').allowed).toBe(false);
    expect(limits.hit('token-b')).toEqual({ allowed: true });
  });

  it('forgets a key on reset', () => {
    const { limits } = limiter(1, 10_000);
    limits.hit('login:ops@example.com');
    expect(limits.hit('login:ops@example.com').allowed).toBe(false);
    limits.reset('login:ops@example.com');
    expect(limits.hit('login:ops@example.com')).toEqual({ allowed: true });
  });

  it('keeps a live window through the sweep of expired ones', () => {
    const { limits, clock } = limiter(1, 10_000);
    for (let i = 0; i < 10_001; i++) limits.hit(`old-${i}`);
    clock.now += 5_000;
    expect(limits.hit('live')).toEqual({ allowed: true });
    clock.now += 5_000;
    // The map is past its sweep threshold, so this hit sweeps first: the old windows have passed, `live` has not.
    expect(limits.hit('live')).toEqual({ allowed: false, retryAfterSeconds: 5 });
    expect(limits.hit('old-0')).toEqual({ allowed: true });
  });
});
