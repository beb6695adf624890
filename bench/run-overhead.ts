import { summary } from './lib/load';
import { type ServerProcess, startNext } from './lib/processes';
import { compare, fmt, newTable, note } from './lib/report';
import { type Topology, createToken, postgresTopology, sqliteTopology } from './lib/services';
import type { BenchOptions, Services } from './options';

/** Automations whose run does nothing on empty tables (the reaper with no sessions, evaluation with no rules…). */
const KEYS = ['alert-evaluation', 'inference-monitoring-poll', 'browser-session-reaper', 'browser-session-reconciliation'] as const;

/**
 * Benchmark 2: run-now of an automation with no work against the constant route, one request at a time,
 * interleaved (constant, run, constant, run…) so both see the same machine. Each run takes the run mutex, writes
 * its run record, runs, records the outcome, releases the mutex, writes the audit entry and answers with the
 * fresh view.
 */
export async function runOverheadBenchmark(options: BenchOptions, services: Services): Promise<void> {
  const count = options.quick ? 60 : 200;
  const setups: Array<{ topology: Topology; judged: boolean }> = [{ topology: sqliteTopology('run-local'), judged: true }];
  if (services.redis) setups.push({ topology: sqliteTopology('run-redis', { redis: true }), judged: true });
  else console.log('  Redis not reachable: the Redis lock provider is not measured');
  if (services.redis && services.postgres) setups.push({ topology: postgresTopology('run-pg', { redis: true }), judged: false });

  const table = newTable(
    'run-overhead',
    `2. Run-now overhead — POST /automations/{key}/run with nothing to do vs the constant route (${count} sequential requests each, interleaved)`,
    "Baseline: GET /api/bench/constant padded to the run answer's size, on the same console. Candidate: run-now over REST with a valid token, empty tables; the answer carries the fresh view. p50 of one-at-a-time latency. The issue's target (p50 ratio ≤ 3) is judged for the in-process and the Redis lock provider; PostgreSQL + Redis is shown for the scaled-out topology.",
    { baseline: 'constant route p50', candidate: 'run-now p50' },
  );
  for (const { topology, judged } of setups) {
    const token = await createToken(topology, 'bench-run');
    let app: ServerProcess | null = null;
    try {
      app = await startNext({
        label: `console (${topology.label})`,
        readyPath: '/api/health',
        env: { ...topology.env, BENCH_ROUTES: 'on', API_RATE_LIMIT_PER_MINUTE: '100000000', INSTANCE_ID: 'bench-run' },
      });
      const url = app.url;
      const auth = { authorization: `Bearer ${token}` };
      for (const key of KEYS) {
        const runOnce = async (): Promise<number> => {
          const res = await fetch(`${url}/api/client/v1/automations/${key}/run`, { method: 'POST', headers: auth });
          const body = await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`run-now of ${key} answered ${res.status}: ${Buffer.from(body).toString().slice(0, 200)}`);
          return body.byteLength;
        };
        const bytes = await runOnce();
        const constant = async () => {
          const res = await fetch(`${url}/api/bench/constant?bytes=${bytes}`);
          await res.arrayBuffer();
        };
        for (let i = 0; i < 20; i++) {
          await constant();
          await runOnce();
        }
        const base: number[] = [];
        const runs: number[] = [];
        const deadline = Date.now() + 120_000;
        for (let i = 0; i < count && Date.now() < deadline; i++) {
          let t0 = performance.now();
          await constant();
          base.push(performance.now() - t0);
          t0 = performance.now();
          await runOnce();
          runs.push(performance.now() - t0);
        }
        const b = summary(base);
        const r = summary(runs);
        process.stdout.write(
          `  ${topology.label.padEnd(26)} ${key.padEnd(31)} constant p50 ${fmt(b.p50, 2)} ms  run p50 ${fmt(r.p50, 2)} ms  run p95 ${fmt(r.p95, 2)} ms\n`,
        );
        compare(table, `${topology.label}: ${key}`, b.p50, r.p50, { unit: 'ms', digits: 2, target: judged ? { op: '<=', limit: 3 } : undefined });
      }
    } finally {
      await app?.stop();
      await topology.cleanup();
    }
  }
  note(table, 'runs per automation', String(count));
}
