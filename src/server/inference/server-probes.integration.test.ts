import { afterEach, describe, expect, it } from 'vitest';
import { outboundRequest } from '../net/http-client';
import { loopbackScope } from '../testing/outbound';
import type { ServerKind } from '../db/tables/inference.tables';
import { PROBES, type ProbeOutcome, openAiModelsPath } from './server-probes';
import { FIXTURE_API_KEY, type Fixture, type FixtureBehaviour, refusingUrl, startFixture } from './testing/fixture-servers';

const policy = loopbackScope();
const fixtures: Fixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.close();
});

async function fixture(behaviour: FixtureBehaviour): Promise<Fixture> {
  const f = await startFixture(behaviour);
  fixtures.push(f);
  return f;
}

/** Probes `baseUrl` as a server of `kind`, the way the poll does (one deadline, a size cap, the key as Bearer). */
function probe(kind: ServerKind, baseUrl: string, options: { apiKey?: string; deadlineMs?: number; maxBytes?: number } = {}): Promise<ProbeOutcome> {
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const fetch = (path: string) =>
    outboundRequest(policy, `${baseUrl}${path}`, { headers, deadlineMs: options.deadlineMs ?? 2_000, maxBytes: options.maxBytes ?? 1_000_000 });
  return PROBES[kind](fetch, baseUrl);
}

describe('probes against servers speaking each kind', () => {
  it('vLLM: health + metrics under the path prefix, KV usage as a percentage, models from labels, counters', async () => {
    const f = await fixture('vllm');
    const outcome = await probe('vllm', f.url);
    expect(outcome).toEqual({
      up: true,
      error: null,
      requestsRunning: 7,
      requestsWaiting: 2,
      kvCacheUsagePct: 42.13,
      models: ['meta-llama/Llama-3.1-8B-Instruct'],
      counters: { promptTokens: 100_000, generationTokens: 50_000, ttftSumSeconds: 8, ttftCount: 40 },
    });
    // the path prefix of the base URL is kept
    expect(f.requests.map((r) => r.split(' ')[1]).sort()).toEqual(['/prefix/v/health', '/prefix/v/metrics']);
  });

  it('vLLM before the V1 engine: gpu_cache_usage_perc', async () => {
    const f = await fixture('vllm-legacy');
    expect((await probe('vllm', f.url)).kvCacheUsagePct).toBe(42.13);
  });

  it('TGI: batch size running, queue waiting, token totals from the request histograms, model from /info', async () => {
    const f = await fixture('tgi');
    expect(await probe('tgi', f.url)).toEqual({
      up: true,
      error: null,
      requestsRunning: 6,
      requestsWaiting: 4,
      kvCacheUsagePct: null,
      models: ['bigscience/bloom-560m'],
      counters: { promptTokens: 4_000, generationTokens: 2_000 },
    });
  });

  it('llama.cpp: processing/deferred, KV ratio, tokens, models from /v1/models', async () => {
    const f = await fixture('llamacpp');
    expect(await probe('llamacpp', f.url)).toEqual({
      up: true,
      error: null,
      requestsRunning: 1,
      requestsWaiting: 3,
      kvCacheUsagePct: 12.5,
      models: ['models/qwen2.5-0.5b-instruct-q8_0.gguf'],
      counters: { promptTokens: 6_886, generationTokens: 3_469 },
    });
  });

  it('llama.cpp without --metrics: up, with the reason the numbers are missing', async () => {
    const f = await fixture('llamacpp-no-metrics');
    const outcome = await probe('llamacpp', f.url);
    expect(outcome).toMatchObject({ up: true, requestsRunning: null, models: ['models/qwen2.5-0.5b-instruct-q8_0.gguf'] });
    expect(outcome.error).toContain('start llama-server with --metrics');
  });

  it('Ollama: version for health, tags for models, no numbers it does not have', async () => {
    const f = await fixture('ollama');
    expect(await probe('ollama', f.url)).toEqual({
      up: true,
      error: null,
      requestsRunning: null,
      requestsWaiting: null,
      kvCacheUsagePct: null,
      models: ['llama3.2:latest', 'qwen2.5-coder:7b'],
      counters: null,
    });
  });

  it('OpenAI-compatible: the key goes as Bearer; a wrong or missing key is down with a reason', async () => {
    const f = await fixture('openai');
    expect(await probe('openai', f.url, { apiKey: FIXTURE_API_KEY })).toMatchObject({
      up: true,
      error: null,
      models: ['gpt-4o-mini', 'text-embedding-3-small'],
    });
    expect(f.requests[0]).toBe(`GET /v1/models Bearer ${FIXTURE_API_KEY}`);
    const wrong = await probe('openai', f.url, { apiKey: 'sk-wrong' });
    expect(wrong).toMatchObject({ up: false });
    expect(wrong.error).toContain('HTTP 401 — the API key is missing, wrong or lacks access');
    // a base URL given with its /v1 is not doubled
    expect(await probe('openai', `${f.url}/v1`, { apiKey: FIXTURE_API_KEY })).toMatchObject({ up: true });
    expect(openAiModelsPath('http://gw/team/v1')).toBe('/models');
    expect(openAiModelsPath('http://gw/team')).toBe('/v1/models');
  });

  it('a server of another kind than configured is up but says its metrics are not the kind’s', async () => {
    const f = await fixture('llamacpp');
    const outcome = await probe('tgi', f.url);
    expect(outcome.up).toBe(true);
    expect(outcome.error).toContain('no tgi_* metrics (is the kind right?)');
  });
});

describe('probes against misbehaving servers: down with the reason, never a throw', () => {
  const cases: Array<[string, FixtureBehaviour | 'refusing', ServerKind, RegExp, { deadlineMs?: number; maxBytes?: number }]> = [
    ['hanging', 'hanging', 'vllm', /^GET \/health: timed out \(300 ms\)$/, { deadlineMs: 300 }],
    ['slow-drip', 'slow-drip', 'ollama', /^GET \/api\/version: timed out \(300 ms\)$/, { deadlineMs: 300 }],
    ['oversized', 'oversized', 'tgi', /^GET \/health: response too large \(over 65536 bytes\)$/, { maxBytes: 65_536 }],
    // where the redirect pointed is the upstream's word: only its status is told
    ['redirecting', 'redirecting', 'llamacpp', /^GET \/health: redirect not followed \(HTTP 301\)$/, {}],
    ['malformed JSON', 'malformed', 'ollama', /GET \/api\/version: the answer is not valid JSON/, {}],
    ['malformed model list', 'malformed', 'openai', /not valid JSON/, {}],
    ['refusing', 'refusing', 'openai', /^GET \/v1\/models: connection refused$/, {}],
    // the error page's text ("Loading model") is the upstream's: only the status is told
    ['unhealthy', 'unhealthy', 'llamacpp', /^GET \/health: HTTP 503$/, {}],
  ];
  it.each(cases)('%s', async (_label, behaviour, kind, reason, options) => {
    const url = behaviour === 'refusing' ? await refusingUrl() : (await fixture(behaviour)).url;
    const outcome = await probe(kind, url, options);
    expect(outcome.up).toBe(false);
    expect(outcome.error).toMatch(reason);
    expect(outcome).toMatchObject({ requestsRunning: null, counters: null, models: null });
  });

  it('an HTML page where metrics should be: up (health answered) with the metrics problem named', async () => {
    const f = await fixture('malformed');
    const outcome = await probe('vllm', f.url);
    expect(outcome).toMatchObject({ up: true, requestsRunning: null });
    expect(outcome.error).toBe('GET /metrics: not Prometheus metrics text');
  });
});
