import { startBareHttp } from './lib/bare-http';
import { type LoadResult, load } from './lib/load';
import { startNext } from './lib/processes';
import { compare, fmt, newTable, note } from './lib/report';
import { createToken, sqliteTopology } from './lib/services';
import { median } from './lib/stats';
import type { BenchOptions, Services } from './options';

const CONNECTIONS = 50;

/**
 * Benchmark 1: GET /api/client/v1/automations with a valid token against the constant route of the same build
 * (GET /api/bench/constant, padded to the same body size), 50 connections, rounds in A-B-B-A order so a drift in
 * the machine's load hits both alike. The bare node:http figure is the machine's ceiling.
 */
export async function restReadBenchmark(options: BenchOptions, _services: Services): Promise<void> {
  const topology = sqliteTopology('rest');
  const token = await createToken(topology, 'bench-rest');
  const app = await startNext({
    label: 'console',
    readyPath: '/api/health',
    env: { ...topology.env, BENCH_ROUTES: 'on', API_RATE_LIMIT_PER_MINUTE: '100000000', INSTANCE_ID: 'bench-rest' },
  });
  try {
    const auth = { authorization: `Bearer ${token}` };
    const listUrl = `${app.url}/api/client/v1/automations`;
    // Every automation has run once, so the views carry their last-run fields (the size a busy console answers).
    for (const key of ['alert-evaluation', 'inference-monitoring-poll', 'browser-session-reaper', 'browser-session-reconciliation']) {
      const res = await fetch(`${app.url}/api/client/v1/automations/${key}/run`, { method: 'POST', headers: auth });
      await res.arrayBuffer();
    }
    /** The list's size now: the constant route answers the same number of bytes. */
    const listBytes = async () => {
      const res = await fetch(listUrl, { headers: auth });
      const size = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200) throw new Error(`list answered ${res.status}`);
      return size;
    };
    let bytes = await listBytes();
    let constantUrl = `${app.url}/api/bench/constant?bytes=${bytes}`;

    const seconds = options.quick ? 3 : 10;
    const runs = { baseline: [] as LoadResult[], candidate: [] as LoadResult[] };
    const measure = async (which: 'baseline' | 'candidate') => {
      const r = await load(
        which === 'baseline' ? { url: constantUrl, connections: CONNECTIONS, seconds } : { url: listUrl, headers: auth, connections: CONNECTIONS, seconds },
      );
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${which}: ${r.non2xx} non-2xx and ${r.errors} errors`);
      runs[which].push(r);
      process.stdout.write(`  ${which.padEnd(9)} ${fmt(r.rps)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  (${fmt(r.bytesPerResponse, 0)} B/response)\n`);
    };
    // Warm both paths (JIT, route bundles, caches) before anything counts.
    await load({ url: constantUrl, connections: CONNECTIONS, seconds: 2 });
    await load({ url: listUrl, headers: auth, connections: CONNECTIONS, seconds: 2 });
    for (let round = 0; round < options.rounds; round++) {
      const order: Array<'baseline' | 'candidate'> = round % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
      bytes = await listBytes();
      constantUrl = `${app.url}/api/bench/constant?bytes=${bytes}`;
      for (const which of order) await measure(which);
    }

    const bare = await startBareHttp(bytes);
    let ceiling: LoadResult;
    try {
      await load({ url: bare.url, connections: CONNECTIONS, seconds: 1 });
      ceiling = await load({ url: bare.url, connections: CONNECTIONS, seconds });
    } finally {
      await bare.stop();
    }

    // The median round of each side: one round disturbed by another process on this shared machine moves it little.
    const mid = (list: LoadResult[], pick: (r: LoadResult) => number) => median(list.map(pick));
    const table = newTable(
      'rest-read',
      `1. REST read path — GET /api/client/v1/automations vs constant route (${CONNECTIONS} connections, ${options.rounds} rounds × ${seconds} s per side, A-B-B-A, median round)`,
      `Baseline: GET /api/bench/constant of the same build and process (BENCH_ROUTES=on), a route handler answering ${bytes} bytes of constant JSON without auth, database or proxy. Candidate: the real list with a valid Bearer token, ${bytes} bytes. SQLite, scheduler on.`,
      { baseline: 'constant route', candidate: 'automations list' },
    );
    compare(
      table,
      'throughput (req/s)',
      mid(runs.baseline, (r) => r.rps),
      mid(runs.candidate, (r) => r.rps),
      { digits: 0, target: { op: '>=', limit: 0.9 } },
    );
    compare(
      table,
      'p99 latency',
      mid(runs.baseline, (r) => r.p99),
      mid(runs.candidate, (r) => r.p99),
      { unit: 'ms', target: { op: '<=', limit: 1.5 } },
    );
    compare(
      table,
      'p50 latency',
      mid(runs.baseline, (r) => r.p50),
      mid(runs.candidate, (r) => r.p50),
      { unit: 'ms' },
    );
    note(table, 'bare node:http ceiling (req/s)', fmt(ceiling.rps, 0), {
      baseline: '',
      ratio: `list = ${(mid(runs.candidate, (r) => r.rps) / ceiling.rps).toFixed(3)} of it`,
    });
    note(table, 'bare node:http p99', `${ceiling.p99} ms`);
  } finally {
    await app.stop();
    await topology.cleanup();
  }
}
