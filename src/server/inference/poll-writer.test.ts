import { describe, expect, it } from 'vitest';
import type { PollRecord } from './inference.repository';
import { PollWriter } from './poll-writer';

const record = (id: string): PollRecord => ({
  server: { id, updated_at: 0 },
  sample: {
    id: `x-${id}`,
    server_id: id,
    tenant_id: 't',
    at: 0,
    up: 1,
    latency_ms: 1,
    requests_running: null,
    requests_waiting: null,
    kv_cache_usage_pct: null,
    prompt_tokens_per_s: null,
    generation_tokens_per_s: null,
    ttft_ms: null,
    models: null,
    counters: null,
    error: null,
  },
  status: { status: 'up', last_polled_at: 0, last_latency_ms: 1, last_error: null },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A write that takes until `release` is called, recording each batch's ids. */
function slowStore(stored: (id: string) => boolean = () => true) {
  const batches: string[][] = [];
  const releases: Array<() => void> = [];
  const write = (records: PollRecord[]) => {
    batches.push(records.map((r) => r.server.id));
    return new Promise<Set<string>>((resolve) => releases.push(() => resolve(new Set(records.map((r) => r.server.id).filter(stored)))));
  };
  return { batches, write, release: () => releases.shift()?.() };
}

describe('PollWriter', () => {
  it('writes polls that finish within the delay as one batch, and those added while it writes as the next', async () => {
    const store = slowStore((id) => id !== 'b');
    const writer = new PollWriter(store.write, { batchSize: 100, delayMs: 30 });
    const first = [writer.add(record('a'))];
    await sleep(5);
    first.push(writer.add(record('b')), writer.add(record('c')));
    expect(store.batches).toEqual([]);
    await sleep(60);
    expect(store.batches).toEqual([['a', 'b', 'c']]);
    const second = ['d', 'e'].map((id) => writer.add(record(id)));
    store.release();
    expect(await Promise.all(first)).toEqual([true, false, true]);
    await sleep(60);
    expect(store.batches).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    store.release();
    expect(await Promise.all(second)).toEqual([true, true]);
  });

  it('writes a full batch at once, without waiting for the delay', async () => {
    const store = slowStore();
    const writer = new PollWriter(store.write, { batchSize: 2, delayMs: 60_000 });
    const full = ['a', 'b'].map((id) => writer.add(record(id)));
    await sleep(0);
    expect(store.batches).toEqual([['a', 'b']]);
    store.release();
    expect(await Promise.all(full)).toEqual([true, true]);
  });

  it('after a failed write, rejects the batch, everything queued and everything added later with the same error', async () => {
    let calls = 0;
    const writer = new PollWriter(
      async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw new Error('database is locked');
      },
      { batchSize: 1, delayMs: 0 },
    );
    const queued = ['a', 'b'].map((id) => writer.add(record(id)));
    const results = await Promise.allSettled(queued);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'stored'))).toEqual(['Error: database is locked', 'Error: database is locked']);
    await expect(writer.add(record('c'))).rejects.toThrow('database is locked');
    expect(calls).toBe(1);
  });
});
