import { describe, expect, it } from 'vitest';
import { boundedModels, forEachBounded } from './inference-poll.service';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('forEachBounded', () => {
  it('never has more than the limit in flight, and does every item once', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, new AbortController().signal, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await tick();
      inFlight--;
      done.push(n);
    });
    expect(most).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('stops taking items after a failure, lets the others finish, then throws the first failure', async () => {
    const started: number[] = [];
    let finished = 0;
    const run = forEachBounded([1, 2, 3, 4, 5, 6], 2, new AbortController().signal, async (n) => {
      started.push(n);
      await tick();
      if (n === 1) throw new Error('database down');
      finished++;
    });
    await expect(run).rejects.toThrow('database down');
    expect(started).toEqual([1, 2]);
    expect(finished).toBe(1);
  });

  it('stops taking items once the signal aborts', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await forEachBounded([1, 2, 3, 4], 1, controller.signal, async (n) => {
      started.push(n);
      if (n === 2) controller.abort();
    });
    expect(started).toEqual([1, 2]);
  });

  it('does nothing for no items', async () => {
    await expect(forEachBounded([], 4, new AbortController().signal, async () => undefined)).resolves.toBeUndefined();
  });
});

describe('boundedModels', () => {
  it('stores at most the configured number of distinct names, each cut to the configured length', () => {
    const reported = ['llama-3', 'llama-3', 'x'.repeat(500), ...Array.from({ length: 1000 }, (_, i) => `m${i}`)];
    const stored = boundedModels(reported, 3, 10);
    expect(stored).toEqual(['llama-3', 'x'.repeat(10), 'm0']);
    expect(boundedModels(null, 3, 10)).toBeNull();
    expect(boundedModels([], 3, 10)).toEqual([]);
  });
});
