import autocannon from 'autocannon';
import { median, percentile, sleep } from './stats';

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Completed 2xx responses per second. */
  rps: number;
  p50: number;
  p99: number;
  /** Mean response body bytes. */
  bytesPerResponse: number;
  errors: number;
  non2xx: number;
}

/**
 * Closed-loop load with autocannon: `connections` keep-alive connections, each sending its next request when the
 * previous one answered. Bounded in time (`seconds`) and in count (`maxRequests`), whichever comes first.
 */
export async function load(options: {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  maxRequests?: number;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    headers: options.headers,
    connections: options.connections,
    duration: options.seconds,
    maxOverallRequests: options.maxRequests ?? 2_000_000,
    timeout: 10,
  });
  const seconds = result.duration;
  const ok = result['2xx'];
  return {
    requests: result.requests.total,
    seconds,
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytesPerResponse: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/**
 * Latency of one request at a time, `count` times (bounded by `maxSeconds` too), after `warmup` untimed calls.
 * Returns milliseconds per call.
 */
export async function sequential(
  call: () => Promise<void>,
  options: { count: number; warmup?: number; maxSeconds: number; pauseMs?: number },
): Promise<number[]> {
  for (let i = 0; i < (options.warmup ?? 0); i++) await call();
  const samples: number[] = [];
  const deadline = Date.now() + options.maxSeconds * 1000;
  while (samples.length < options.count && Date.now() < deadline) {
    const t0 = performance.now();
    await call();
    samples.push(performance.now() - t0);
    if (options.pauseMs) await sleep(options.pauseMs);
  }
  return samples;
}

export function summary(samples: number[]): { p50: number; p95: number; p99: number; n: number } {
  return { p50: median(samples), p95: percentile(samples, 95), p99: percentile(samples, 99), n: samples.length };
}
