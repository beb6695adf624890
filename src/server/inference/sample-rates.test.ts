import { describe, expect, it } from 'vitest';
import { deriveRates, parseStoredCounters } from './sample-rates';

const endpoint = 'vllm http://10.0.0.1:8000';
const previous = {
  at: 1_000_000,
  counters: { endpoint, promptTokens: 1_000, generationTokens: 5_000, ttftSumSeconds: 10, ttftCount: 40 },
};

describe('deriveRates', () => {
  it('turns counter deltas over the time between samples into per-second rates and a mean TTFT', () => {
    const rates = deriveRates({ promptTokens: 4_000, generationTokens: 6_500, ttftSumSeconds: 13, ttftCount: 50 }, 1_030_000, previous, endpoint);
    expect(rates).toEqual({ promptTokensPerSecond: 100, generationTokensPerSecond: 50, ttftMs: 300 });
  });

  it('gives no TTFT when no request got its first token in between', () => {
    const rates = deriveRates({ promptTokens: 1_000, generationTokens: 5_000, ttftSumSeconds: 10, ttftCount: 40 }, 1_010_000, previous, endpoint);
    expect(rates).toEqual({ promptTokensPerSecond: 0, generationTokensPerSecond: 0, ttftMs: null });
  });

  it('gives nulls after a counter reset, without a previous sample, or across an endpoint change', () => {
    const restarted = { promptTokens: 10, generationTokens: 20, ttftSumSeconds: 0.1, ttftCount: 1 };
    expect(deriveRates(restarted, 1_030_000, previous, endpoint)).toEqual({ promptTokensPerSecond: null, generationTokensPerSecond: null, ttftMs: null });
    expect(deriveRates({ promptTokens: 4_000 }, 1_030_000, null, endpoint).promptTokensPerSecond).toBeNull();
    expect(deriveRates({ promptTokens: 4_000 }, 1_030_000, { at: 1_000_000, counters: null }, endpoint).promptTokensPerSecond).toBeNull();
    expect(deriveRates({ promptTokens: 4_000 }, 1_030_000, previous, 'vllm http://10.0.0.2:8000').promptTokensPerSecond).toBeNull();
    expect(deriveRates(null, 1_030_000, previous, endpoint).promptTokensPerSecond).toBeNull();
  });

  it('gives nulls when no time passed, and only the counters present on both sides', () => {
    expect(deriveRates({ promptTokens: 4_000 }, 1_000_000, previous, endpoint).promptTokensPerSecond).toBeNull();
    const partial = deriveRates({ generationTokens: 5_300 }, 1_010_000, previous, endpoint);
    expect(partial).toEqual({ promptTokensPerSecond: null, generationTokensPerSecond: 30, ttftMs: null });
  });
});

describe('parseStoredCounters', () => {
  it('reads what the poll stores and refuses anything else', () => {
    expect(parseStoredCounters(JSON.stringify(previous.counters))).toEqual(previous.counters);
    expect(parseStoredCounters(null)).toBeNull();
    expect(parseStoredCounters('{"promptTokens":1}')).toBeNull();
    expect(parseStoredCounters('not json')).toBeNull();
  });
});
