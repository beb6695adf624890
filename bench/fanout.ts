import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, rssOf, startNext } from './lib/processes';
import { compare, fmt, newTable, note } from './lib/report';
import { createToken, postgresTopology, sqliteTopology } from './lib/services';
import { SseCrowd } from './lib/sse-crowd';
import { percentile, sleep } from './lib/stats';
import type { BenchOptions, Services } from './options';
import { signIn } from './lib/sign-in';

const KEY = 'inference-monitoring-poll';
const PASSWORD = 'bench-fanout-password';
const epoch = (t: number) => performance.timeOrigin + t;

/** /api/health latencies from a separate process (bench/workers/health-probe.ts): [startedAt epoch ms, ms]. */
function probeHealth(url: string, durationMs: number): Promise<Array<[number, number]>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'workers', 'health-probe.ts'), url, String(durationMs), '10'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Array<[number, number]>) : reject(new Error(`health probe exited ${code}`))));
  });
}

/**
 * Benchmark: one console holding 1,000 / 5,000 / 10,000 live automation streams (GET /api/trpc/automations.onChange,
 * one signed-in session). Per size: the server's RSS per stream, the time from sending a REST pause until each
 * stream has the delta that shows it paused (over every stream and trial), and /api/health p95 from another process
 * while the streams are open and idle vs while pauses and resumes are broadcast.
 */
export async function fanoutBenchmark(options: BenchOptions, services: Services): Promise<void> {
  const sizes = options.quick ? [200, 1_000] : [1_000, 5_000, 10_000];
  const phaseMs = options.quick ? 5_000 : 15_000;
  const topology = services.postgres ? postgresTopology('fanout', { redis: services.redis }) : sqliteTopology('fanout');
  const token = await createToken(topology, 'bench-fanout');
  const env = {
    ...topology.env,
    INSTANCE_ID: 'bench-fanout',
    CONSOLE_ADMIN_PASSWORD: PASSWORD,
    API_RATE_LIMIT_PER_MINUTE: '100000000',
    LIVE_STREAMS_MAX: '20000',
    LIVE_STREAMS_PER_OPERATOR: '10000',
  };
  let crowd: SseCrowd | null = null;
  const server = await startNext({ label: 'console', readyPath: '/api/health', env, consoleServer: true });
  try {
    const cookie = await signIn(server, PASSWORD);
    const call = async (action: 'pause' | 'resume') => {
      const res = await fetch(`${server.url}/api/client/v1/automations/${KEY}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${action} answered ${res.status}`);
    };
    crowd = new SseCrowd(Number(new URL(server.url).port), '/api/trpc/automations.onChange', { cookie });
    // Warm-up: the routes compiled and the topic made, then the base RSS with no stream open.
    await crowd.open(10, 10);
    await call('pause');
    await call('resume');
    crowd.close();
    await sleep(2_000);
    const baseRss = rssOf(server.pid);
    crowd = new SseCrowd(Number(new URL(server.url).port), '/api/trpc/automations.onChange', { cookie });

    const table = newTable(
      'fanout',
      `Live fan-out — one console, N streams of automations.onChange (${topology.label})`,
      'One console (`scripts/server.mjs`, as `npm start`); N SSE streams over raw sockets from the bench process, one session. A REST pause is sent and timed until every stream has the delta that shows it paused (pause-to-all: over all streams and trials). /api/health is asked one request at a time from a separate process: baseline with the N streams open and idle, candidate while pauses and resumes are broadcast to them.',
      { baseline: 'idle (N streams open)', candidate: 'during broadcasts' },
    );
    for (const n of sizes) {
      const t0 = performance.now();
      await crowd.open(n - crowd.size());
      const openSeconds = (performance.now() - t0) / 1000;
      await sleep(3_000);
      const rss = rssOf(server.pid);
      const idle = (await probeHealth(server.url, phaseMs)).map(([, ms]) => ms);

      const windows: Array<[number, number]> = [];
      const latencies: number[] = [];
      const lastPerTrial: number[] = [];
      let missing = 0;
      const probe = probeHealth(server.url, phaseMs);
      const stop = performance.now() + phaseMs - 500;
      await sleep(300);
      while (performance.now() < stop || lastPerTrial.length < 3) {
        for (const action of ['pause', 'resume'] as const) {
          const wait = crowd.waitFor(action === 'pause' ? '"state":"paused"' : '"pausedAt":null', 15_000);
          const sent = performance.now();
          await call(action);
          const arrivals = await wait.arrivals;
          let last = sent;
          for (const at of arrivals) {
            if (Number.isNaN(at)) {
              missing++;
              continue;
            }
            if (action === 'pause') latencies.push(at - sent);
            last = Math.max(last, at);
          }
          windows.push([epoch(sent), epoch(last)]);
          if (action === 'pause') lastPerTrial.push(last - sent);
        }
        await sleep(100);
      }
      const during = (await probe).filter(([at]) => windows.some(([from, to]) => at >= from && at <= to)).map(([, ms]) => ms);
      const idleP95 = percentile(idle, 95);
      const duringP95 = percentile(during, 95);
      const p95 = percentile(latencies, 95);
      const perStreamKb = (rss - baseRss) / n / 1024;
      process.stdout.write(
        `  ${n} streams (opened in ${openSeconds.toFixed(1)} s): RSS ${fmt(rss / 2 ** 20, 0)} MiB (${fmt(perStreamKb, 1)} KB/stream); pause→all p50 ${fmt(percentile(latencies, 50), 1)} p95 ${fmt(p95, 1)} ms, last stream median ${fmt(percentile(lastPerTrial, 50), 1)} ms over ${lastPerTrial.length} trials${missing ? `, ${missing} arrivals missing` : ''}; health p95 idle ${fmt(idleP95, 1)} ms, during ${fmt(duringP95, 1)} ms (${during.length} samples)\n`,
      );
      const goal = n === 10_000;
      note(table, `${n}: server RSS per stream`, `${fmt(perStreamKb, 1)} KB`, { baseline: `${fmt(baseRss / 2 ** 20, 0)} MiB with none` });
      note(
        table,
        `${n}: pause-to-all p50 / p95 / last stream (median of ${lastPerTrial.length})`,
        `${fmt(percentile(latencies, 50), 1)} / ${fmt(p95, 1)} / ${fmt(percentile(lastPerTrial, 50), 1)} ms`,
        goal ? { target: 'p95 < 200 ms', ok: p95 < 200 && missing === 0 } : {},
      );
      compare(table, `${n}: /api/health p95 (${idle.length} / ${during.length} samples)`, idleP95, duringP95, {
        unit: 'ms',
        digits: 1,
        ...(goal ? { target: { op: '<=', limit: 2 } } : {}),
      });
      if (missing > 0) note(table, `${n}: arrivals missing`, String(missing), { ok: false });
    }
  } finally {
    crowd?.close();
    await server.stop();
    await topology.cleanup();
  }
}
