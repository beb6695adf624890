import { afterEach, describe, expect, it } from 'vitest';
import { outboundRequest } from '../net/http-client';
import { loopbackScope } from '../testing/outbound';
import { DEMO_API_KEY, DEMO_KINDS, DemoFleet } from './demo-fleet';
import { deriveRates } from './sample-rates';
import { PROBES, type ProbeOutcome } from './server-probes';
import type { ServerKind } from '../db/tables/inference.tables';

const policy = loopbackScope();
let fleet: DemoFleet | null = null;
afterEach(async () => {
  await fleet?.stop();
  fleet = null;
});

async function start(now: () => number): Promise<string> {
  fleet = new DemoFleet({ host: '127.0.0.1', port: 0, now });
  return fleet.start();
}

function probe(root: string, kind: ServerKind, apiKey?: string): Promise<ProbeOutcome> {
  const base = `${root}/${kind}`;
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  return PROBES[kind]((path) => outboundRequest(policy, `${base}${path}`, { headers, deadlineMs: 2_000, maxBytes: 1_000_000 }), base);
}

// 2030-01-01T00:03:00Z is outside the simulated TGI restart window (the first 45 s of every 10 minutes).
const CALM = Date.UTC(2030, 0, 1, 0, 3, 0);
const RESTARTING = Date.UTC(2030, 0, 1, 0, 10, 20);

describe('demo fleet', () => {
  it('answers every kind in that kind’s format, so the real probes read it', async () => {
    const root = await start(() => CALM);
    for (const kind of DEMO_KINDS) {
      const outcome = await probe(root, kind, kind === 'openai' ? DEMO_API_KEY : undefined);
      expect(outcome, kind).toMatchObject({ up: true, error: null });
      expect(outcome.models?.length, kind).toBeGreaterThan(0);
    }
    const vllm = await probe(root, 'vllm');
    expect(vllm.requestsRunning).toEqual(expect.any(Number));
    expect(vllm.kvCacheUsagePct).toBeGreaterThanOrEqual(0);
    expect(vllm.kvCacheUsagePct).toBeLessThanOrEqual(100);
    expect(vllm.counters).toMatchObject({ promptTokens: expect.any(Number), ttftCount: expect.any(Number) });
  });

  it('moves: counters grow and gauges change over time', async () => {
    let now = CALM;
    const root = await start(() => now);
    const first = await probe(root, 'vllm');
    now += 95_000;
    const later = await probe(root, 'vllm');
    expect(later.counters?.promptTokens ?? 0).toBeGreaterThan(first.counters?.promptTokens ?? 0);
    expect(later.counters?.generationTokens ?? 0).toBeGreaterThan(first.counters?.generationTokens ?? 0);
    expect(later.kvCacheUsagePct).not.toBe(first.kvCacheUsagePct);
    // rates and TTFT derived the way the poll does stay in a believable range at every point of the wave
    for (let step = 0; step < 30; step++) {
      const before = await probe(root, 'vllm');
      const at = now;
      now += 10_000 + step * 1_000;
      const after = await probe(root, 'vllm');
      const rates = deriveRates(after.counters, now, { at, counters: before.counters ? { endpoint: 'e', ...before.counters } : null }, 'e');
      expect(rates.ttftMs, `step ${step}`).toBeGreaterThan(50);
      expect(rates.ttftMs, `step ${step}`).toBeLessThan(1_000);
      expect(rates.promptTokensPerSecond, `step ${step}`).toBeGreaterThan(0);
    }
  });

  it('takes its TGI server down for a while every ten minutes; a wrong key is refused', async () => {
    const root = await start(() => RESTARTING);
    const tgi = await probe(root, 'tgi');
    expect(tgi.up).toBe(false);
    expect(tgi.error).toContain('HTTP 503');
    expect((await probe(root, 'vllm')).up).toBe(true);
    expect((await probe(root, 'openai', 'wrong')).up).toBe(false);
    expect((await probe(root, 'openai')).up).toBe(true);
  });

  it('starts once and stops cleanly', async () => {
    const root = await start(() => CALM);
    expect(await fleet?.start()).toBe(root);
    await fleet?.stop();
    expect(fleet?.baseUrl).toBeNull();
    expect(await outboundRequest(policy, `${root}/vllm/health`, { deadlineMs: 1_000, maxBytes: 100 })).toMatchObject({ ok: false, code: 'network' });
  });
});
