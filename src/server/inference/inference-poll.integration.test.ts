import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Container } from '../testing/container';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { ALL_TENANTS } from '../tenants/tenant-access';
import type { ServerKind } from '../db/tables/inference.tables';
import type { CreateServerInput, ServerView } from './inference.schemas';
import { DUE_SLACK_MS } from './inference.repository';
import { FIXTURE_API_KEY, type Fixture, type FixtureBehaviour, VLLM_STEP, startFixture } from './testing/fixture-servers';
import { sampleRow } from '../testing/alerts';
import { readerOf, testCaller, testToken } from '../testing/callers';

// A short deadline keeps the hanging server's test quick; CONSOLE_SECRET lets PostgreSQL store the OpenAI key.
const ENV = { POLL_DEADLINE_MS: '700', CONSOLE_SECRET: 'poll-test-secret-0123456789-0123456789' };

describe.each(TOPOLOGIES)('inference poll on %s', (topology, available) => {
  let t: TestContainer;
  let c: Container;
  const fixtures: Fixture[] = [];

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    t = await testContainer(topology, ENV);
    c = t.c;
  });
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.close();
    await t?.close();
  });

  async function fixture(behaviour: FixtureBehaviour): Promise<Fixture> {
    const f = await startFixture(behaviour);
    fixtures.push(f);
    return f;
  }

  async function tenant(slug: string): Promise<string> {
    return (await c.tenants.service.create(testToken(), { name: slug, slug })).id;
  }

  function server(tenantId: string, name: string, kind: ServerKind, baseUrl: string, extra: Partial<CreateServerInput> = {}): Promise<ServerView> {
    return c.inference.servers.create(testCaller('test'), { tenantId, name, kind, baseUrl, pollIntervalSeconds: 30, enabled: true, ...extra });
  }

  it('one run: a tenant with a server of each kind gets samples; a hanging server is cut at its deadline and marked down; the run succeeds', async () => {
    const fleet = await tenant('fleet');
    const other = await tenant('other');
    const idle = await tenant('idle');
    const kinds: Array<[ServerKind, FixtureBehaviour]> = [
      ['vllm', 'vllm'],
      ['tgi', 'tgi'],
      ['llamacpp', 'llamacpp'],
      ['ollama', 'ollama'],
      ['openai', 'openai'],
    ];
    const byKind = new Map<ServerKind, ServerView>();
    for (const [kind, behaviour] of kinds) {
      const f = await fixture(behaviour);
      byKind.set(kind, await server(fleet, `${kind}-1`, kind, f.url, kind === 'openai' ? { apiKey: FIXTURE_API_KEY } : {}));
    }
    const hanging = await fixture('hanging');
    const hangingServer = await server(other, 'stuck', 'vllm', hanging.url);
    // Neither of these is due, so neither counts: a disabled server, and one polled a moment ago.
    await server(idle, 'off', 'ollama', (await fixture('ollama')).url, { enabled: false });
    const recent = await server(idle, 'recent', 'ollama', (await fixture('ollama')).url);
    await c.database.db.updateTable('inference_servers').set({ last_polled_at: Date.now(), status: 'up' }).where('id', '=', recent.id).execute();

    const result = await c.automations.run(testToken(), 'inference-monitoring-poll');

    expect(result.outcome).toBe('finished');
    if (result.outcome !== 'finished') return;
    expect(result.run.outcome).toBe('succeeded');
    expect(result.automation.metrics).toEqual({ dueServers: 6, lockProvider: topology === 'sqlite-local' ? 'local' : 'redis', processedTenants: 2 });
    expect(result.automation.lastError).toBeNull();

    for (const [kind] of kinds) {
      const view = byKind.get(kind) as ServerView;
      const samples = await c.inference.servers.samples(readerOf(ALL_TENANTS), view.id, { limit: 10 });
      expect(samples, kind).toHaveLength(1);
      expect(samples[0], kind).toMatchObject({ up: true, error: null });
      expect(samples[0]?.models?.length, kind).toBeGreaterThan(0);
      const after = await c.inference.servers.get(readerOf(ALL_TENANTS), view.id);
      expect(after, kind).toMatchObject({ status: 'up', lastError: null });
      expect(after.lastPolledAt, kind).not.toBeNull();
      expect(after.lastLatencyMs, kind).toEqual(expect.any(Number));
    }
    const vllm = (await c.inference.servers.samples(readerOf(ALL_TENANTS), (byKind.get('vllm') as ServerView).id, { limit: 1 }))[0];
    expect(vllm).toMatchObject({ requestsRunning: 7, requestsWaiting: 2, kvCacheUsagePct: 42.13, promptTokensPerSecond: null });

    const stuck = await c.inference.servers.get(readerOf(ALL_TENANTS), hangingServer.id);
    expect(stuck.status).toBe('down');
    expect(stuck.lastError).toMatch(/^GET \/(health|metrics): timed out \(\d+ ms\)$/);
    const stuckSamples = await c.inference.servers.samples(readerOf(ALL_TENANTS), hangingServer.id, { limit: 10 });
    expect(stuckSamples).toHaveLength(1);
    expect(stuckSamples[0]).toMatchObject({ up: false, requestsRunning: null });
    expect(stuckSamples[0]?.error).toMatch(/timed out/);
    // the hanging server was asked, and the run did not wait for it beyond its deadline
    expect(hanging.requests.length).toBeGreaterThan(0);
    expect(await c.inference.servers.samples(readerOf(ALL_TENANTS), recent.id, { limit: 10 })).toHaveLength(0);
  });

  it('a later poll derives token rates and TTFT from counter deltas; a server that goes down keeps its history', async () => {
    const id = await tenant('rates');
    const f = await fixture('vllm');
    const view = await server(id, 'vllm', 'vllm', f.url);
    const T0 = Date.parse('2030-01-01T00:00:00Z');
    const signal = new AbortController().signal;

    await c.inference.poll.pollDueServers({ now: () => T0, signal });
    expect(VLLM_STEP).toEqual({ prompt: 3_000, generation: 1_500, ttftSum: 1.2, ttftCount: 6 });
    f.step();
    await c.inference.poll.pollDueServers({ now: () => T0 + 30_000, signal });

    const [latest, first] = await c.inference.servers.samples(readerOf(ALL_TENANTS), view.id, { limit: 10 });
    expect(first).toMatchObject({ at: new Date(T0).toISOString(), promptTokensPerSecond: null, ttftMs: null });
    expect(latest).toMatchObject({
      at: new Date(T0 + 30_000).toISOString(),
      promptTokensPerSecond: 100, // 3000 prompt tokens in 30 s
      generationTokensPerSecond: 50, // 1500 in 30 s
      ttftMs: 200, // 1.2 s over 6 first tokens
    });

    await f.close();
    await c.inference.poll.pollDueServers({ now: () => T0 + 60_000, signal });
    const down = await c.inference.servers.get(readerOf(ALL_TENANTS), view.id);
    expect(down.status).toBe('down');
    expect(down.lastError).toMatch(/^GET \/\S+: connection refused$/);
    const samples = await c.inference.servers.samples(readerOf(ALL_TENANTS), view.id, { limit: 10 });
    expect(samples.map((s) => s.up)).toEqual([false, true, true]);
    expect(await c.inference.servers.samples(readerOf(ALL_TENANTS), view.id, { since: new Date(T0 + 30_000).toISOString(), limit: 10 })).toHaveLength(2);
  });

  it('due-interval logic with a controlled clock: never polled, one interval later, disabled, re-enabled, reconfigured', async () => {
    const id = await tenant('due');
    const f = await fixture('ollama');
    const view = await server(id, 'ollama', 'ollama', f.url, { pollIntervalSeconds: 60 });
    const T0 = Date.parse('2030-02-01T00:00:00Z');
    const signal = new AbortController().signal;
    const pollAt = async (ms: number) => (await c.inference.poll.pollDueServers({ now: () => T0 + ms, signal })).dueServers;

    expect(await pollAt(0)).toBe(1); // never polled: due
    expect(await pollAt(30_000)).toBe(0);
    expect(await pollAt(60_000 - DUE_SLACK_MS - 1)).toBe(0); // not yet
    expect(await pollAt(60_000 - DUE_SLACK_MS)).toBe(1); // one interval (less the tick slack) after the last poll
    // the "last polled" time is the run's start, so a 60 s cadence stays a 60 s cadence
    expect((await c.inference.servers.get(readerOf(ALL_TENANTS), view.id)).lastPolledAt).toBe(new Date(T0 + 60_000 - DUE_SLACK_MS).toISOString());

    await c.inference.servers.update(testCaller('test'), view.id, { enabled: false });
    expect((await c.inference.servers.get(readerOf(ALL_TENANTS), view.id)).status).toBe('disabled');
    expect(await pollAt(10 * 60_000)).toBe(0); // disabled: never due

    await c.inference.servers.update(testCaller('test'), view.id, { enabled: true });
    expect(await pollAt(10 * 60_000 + 1)).toBe(1); // re-enabled: due at once
    expect(await pollAt(10 * 60_000 + 2)).toBe(0);

    await c.inference.servers.update(testCaller('test'), view.id, { baseUrl: `${f.url}/` }); // same URL once normalised
    expect(await pollAt(10 * 60_000 + 3)).toBe(0);
    await c.inference.servers.update(testCaller('test'), view.id, { pollIntervalSeconds: 600 }); // cadence only
    expect(await pollAt(10 * 60_000 + 4)).toBe(0);
    await c.inference.servers.update(testCaller('test'), view.id, { kind: 'openai' }); // another kind: due at once
    expect(await pollAt(10 * 60_000 + 5)).toBe(1);
  });

  it('enforces sample retention in bounded batches at the end of each run', async () => {
    const id = await tenant('retention');
    const view = await server(id, 'ollama', 'ollama', (await fixture('ollama')).url, { enabled: false });
    const now = Date.parse('2030-03-10T00:00:00Z');
    const day = 86_400_000;
    const rows = Array.from({ length: 10_050 }, (_, i) => sampleRow(id, view.id, now - 8 * day - i, { latency_ms: 5 }, `old-${i}`));
    rows.push(sampleRow(id, view.id, now - 6 * day, { latency_ms: 5 }, 'recent'));
    for (let i = 0; i < rows.length; i += 500)
      await c.database.db
        .insertInto('inference_samples')
        .values(rows.slice(i, i + 500))
        .execute();
    const signal = new AbortController().signal;

    expect((await c.inference.poll.pollDueServers({ now: () => now, signal })).samplesPruned).toBe(10_000);
    expect((await c.inference.poll.pollDueServers({ now: () => now, signal })).samplesPruned).toBe(50);
    const left = await c.database.db.selectFrom('inference_samples').select('id').where('server_id', '=', view.id).execute();
    expect(left).toEqual([{ id: 'recent' }]);
  });

  it('an aborted run records nothing about the servers it was polling, and fails', async () => {
    const id = await tenant('aborted');
    const hanging = await fixture('hanging');
    const view = await server(id, 'stuck', 'vllm', hanging.url);
    const controller = new AbortController();
    const pending = c.inference.poll.pollDueServers({ now: Date.now, signal: controller.signal });
    await expect.poll(() => hanging.requests.length).toBeGreaterThan(0);
    controller.abort(new Error('Run exceeded its maximum duration'));
    await expect(pending).rejects.toThrow('Run exceeded its maximum duration');
    expect(await c.inference.servers.samples(readerOf(ALL_TENANTS), view.id, { limit: 10 })).toEqual([]);
    expect(await c.inference.servers.get(readerOf(ALL_TENANTS), view.id)).toMatchObject({ lastPolledAt: null, lastError: null });
  });

  it('writes a batch of polls in one go, dropping only the results of servers changed, disabled or deleted meanwhile', async () => {
    const id = await tenant('batch');
    const names = ['kept', 'renamed', 'disabled', 'deleted'];
    const views = await Promise.all(names.map((name) => server(id, name, 'vllm', `http://127.0.0.1:9/${name}`)));
    const rows = await Promise.all(views.map(async (v) => (await c.inference.repository.getServer(v.id)) ?? Promise.reject(new Error('missing'))));
    await c.inference.servers.update(testCaller('test'), views[1]?.id ?? '', { name: 'renamed-now' });
    await c.inference.servers.update(testCaller('test'), views[2]?.id ?? '', { enabled: false });
    await c.inference.servers.delete(testCaller('test'), views[3]?.id ?? '');
    const at = Date.now();
    const records = rows.map((row, i) => ({
      server: row,
      sample: {
        id: `sample-${i}`,
        server_id: row.id,
        tenant_id: id,
        at,
        up: 1,
        latency_ms: 12 + i,
        requests_running: 1,
        requests_waiting: 0,
        kv_cache_usage_pct: 5,
        prompt_tokens_per_s: null,
        generation_tokens_per_s: null,
        ttft_ms: null,
        models: null,
        counters: null,
        error: null,
      },
      status: { status: 'up' as const, last_polled_at: at, last_latency_ms: 12 + i, last_error: null },
    }));
    expect([...(await c.inference.repository.recordPolls(records))]).toEqual([views[0]?.id]);
    const samples = await c.database.db.selectFrom('inference_samples').select(['id', 'server_id']).execute();
    expect(samples).toEqual([{ id: 'sample-0', server_id: views[0]?.id }]);
    const after = await c.database.db.selectFrom('inference_servers').select(['name', 'last_polled_at', 'last_latency_ms']).orderBy('name').execute();
    expect(after).toEqual([
      { name: 'disabled', last_polled_at: null, last_latency_ms: null },
      { name: 'kept', last_polled_at: at, last_latency_ms: 12 },
      { name: 'renamed-now', last_polled_at: null, last_latency_ms: null },
    ]);
  });

  it('drops a result when the server was changed or deleted while it was polled', async () => {
    const id = await tenant('race');
    const f = await fixture('ollama');
    const view = await server(id, 'ollama', 'ollama', f.url);
    const row = await c.inference.repository.getServer(view.id);
    if (!row) throw new Error('missing');
    await c.inference.servers.update(testCaller('test'), view.id, { name: 'renamed' });
    const signal = new AbortController().signal;
    expect(await c.inference.poll.pollServer(row, Date.now(), { now: Date.now, signal })).toBe(false);
    await c.inference.servers.delete(testCaller('test'), view.id);
    expect(await c.inference.poll.pollServer(row, Date.now(), { now: Date.now, signal })).toBe(false);
  });
});
