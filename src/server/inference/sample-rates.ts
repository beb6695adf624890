import 'server-only';
import type { Counters } from './server-probes';

/** Counters as stored on a sample: the totals, and which endpoint they came from. */
export interface StoredCounters extends Counters {
  /** `<kind> <baseUrl>`: totals from another server (after an edit) are never subtracted from these. */
  endpoint: string;
}

export interface Rates {
  promptTokensPerSecond: number | null;
  generationTokensPerSecond: number | null;
  /** Mean time to first token of the requests that got their first token between the two polls. */
  ttftMs: number | null;
}

const NO_RATES: Rates = { promptTokensPerSecond: null, generationTokensPerSecond: null, ttftMs: null };

/**
 * Rates between the previous sample and this poll from counter deltas. A rate is null when there is no previous
 * sample with counters from the same endpoint, when the counter is missing on either side, or when it went
 * down (the server restarted and its counters began again): one missing point is better than a wrong one.
 */
export function deriveRates(current: Counters | null, at: number, previous: { at: number; counters: StoredCounters | null } | null, endpoint: string): Rates {
  const before = previous?.counters;
  if (!current || !previous || !before || before.endpoint !== endpoint) return NO_RATES;
  const seconds = (at - previous.at) / 1000;
  if (!(seconds > 0)) return NO_RATES;
  const delta = (key: keyof Counters): number | null => {
    const now = current[key];
    const then = before[key];
    if (now === undefined || then === undefined || now < then) return null;
    return now - then;
  };
  const prompt = delta('promptTokens');
  const generation = delta('generationTokens');
  const ttftSum = delta('ttftSumSeconds');
  const ttftCount = delta('ttftCount');
  return {
    promptTokensPerSecond: prompt === null ? null : round(prompt / seconds),
    generationTokensPerSecond: generation === null ? null : round(generation / seconds),
    ttftMs: ttftSum === null || ttftCount === null || ttftCount === 0 ? null : round((ttftSum / ttftCount) * 1000),
  };
}

export function parseStoredCounters(text: string | null): StoredCounters | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || typeof (value as { endpoint?: unknown }).endpoint !== 'string') return null;
    return value as StoredCounters;
  } catch {
    return null;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
