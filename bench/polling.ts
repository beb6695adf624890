import { spawn } from 'node:child_process';
import path from 'node:path';
import { childEnv, ROOT } from './lib/processes';
import { compare, fmt, newTable, note } from './lib/report';
import { startSlowFleet } from './lib/slow-inference';
import { median } from './lib/stats';
import type { BenchOptions, Services } from './options';

const SERVERS = 1_000;
const DELAY_MS = 100;

interface PollRun {
  concurrency: number;
  servers: number;
  polled: number;
  ms: number;
  heapBeforeMb: number;
  heapAfterMb: number;
  peakRssMb: number;
  rssAfterMb: number;
  cpuMs: number;
}

/**
 * Benchmark 4: one poll run over 1,000 due servers that each answer after 100 ms, at several POLL_CONCURRENCY
 * values, against the ideal 1,000 × 0.1 s / C; then the same run repeated to show memory staying flat.
 */
export async function pollingBenchmark(options: BenchOptions, _services: Services): Promise<void> {
  const concurrencies = options.quick ? [8, 64] : [8, 16, 32, 64];
  const runsEach = options.quick ? 1 : 3;
  const lastRuns = options.quick ? 2 : 4;
  /** Longer than the outbound client keeps an idle connection (4 s). */
  const pauseMs = options.quick ? 0 : 4_500;
  const fleet = await startSlowFleet(DELAY_MS);
  const runs: PollRun[] = [];
  try {
    const worker = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--require',
        path.join(ROOT, 'scripts', 'server-only-outside-next.cjs'),
        '--import',
        'tsx',
        path.join(ROOT, 'bench', 'workers', 'poll-worker.ts'),
        fleet.url,
        String(SERVERS),
        concurrencies.join(','),
        String(runsEach),
        String(lastRuns),
        String(pauseMs),
      ],
      { cwd: ROOT, env: childEnv({ LOG_LEVEL: 'silent' }), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const killer = setTimeout(() => worker.kill('SIGKILL'), 10 * 60_000);
    let buffer = '';
    worker.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line.startsWith('{')) {
          const run = JSON.parse(line) as PollRun;
          runs.push(run);
          process.stdout.write(
            `  C=${run.concurrency}: ${run.polled}/${run.servers} polled in ${fmt(run.ms, 0)} ms (CPU ${fmt(run.cpuMs, 0)} ms); heap ${fmt(run.heapBeforeMb)} → ${fmt(run.heapAfterMb)} MiB, peak RSS ${fmt(run.peakRssMb)} MiB\n`,
          );
        }
        newline = buffer.indexOf('\n');
      }
    });
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
    clearTimeout(killer);
    if (code !== 0) throw new Error(`poll worker exited with ${code}`);
  } finally {
    await fleet.stop();
  }

  const table = newTable(
    'polling',
    `4. Polling at scale — ${SERVERS.toLocaleString('en-US')} due vLLM servers answering after ${DELAY_MS} ms, one poll run per POLL_CONCURRENCY`,
    `Baseline: the ideal wall time ${SERVERS} × ${DELAY_MS / 1000} s / C (each poll's two requests go out together). Candidate: the real InferencePollService run (SQLite, one sample and one status update per server, then retention) against a fixture fleet in its own process on 127.0.0.1; ${runsEach} runs per C (${lastRuns} at the last), ${pauseMs / 1000} s apart so that no run reuses the previous run's connections, median judged.`,
    { baseline: 'ideal', candidate: 'poll run' },
  );
  for (const concurrency of concurrencies) {
    const here = runs.filter((r) => r.concurrency === concurrency);
    if (here.length === 0) continue;
    const short = here.filter((r) => r.polled !== SERVERS);
    if (short.length > 0)
      note(table, `C=${concurrency}: servers polled`, short.map((r) => `${r.polled} of ${SERVERS}`).join(', '), { ok: false, target: String(SERVERS) });
    const ms = here.map((r) => r.ms);
    compare(
      table,
      `C=${concurrency}: wall time (median of ${here.length}: ${ms.map((m) => fmt(m, 0)).join(', ')} ms)`,
      (SERVERS * DELAY_MS) / concurrency,
      median(ms),
      {
        unit: 'ms',
        digits: 0,
        target: { op: '<=', limit: 1.25 },
      },
    );
  }
  const cpu = runs.map((r) => r.cpuMs / r.servers);
  note(table, 'poller CPU per server (all runs)', `${fmt(Math.min(...cpu), 2)}–${fmt(Math.max(...cpu), 2)} ms`);
  const last = concurrencies[concurrencies.length - 1] as number;
  const repeated = runs.filter((r) => r.concurrency === last);
  const first = repeated[0];
  const final = repeated[repeated.length - 1];
  if (first && final) {
    const growth = final.heapAfterMb - first.heapAfterMb;
    note(
      table,
      `C=${last}: heap after GC, run 1 → run ${repeated.length}`,
      `${fmt(first.heapAfterMb)} → ${fmt(final.heapAfterMb)} MiB (${growth >= 0 ? '+' : ''}${fmt(growth)} MiB)`,
      {
        target: 'flat (< +5 MiB)',
        ok: growth < 5,
      },
    );
    note(table, `C=${last}: peak RSS per run`, repeated.map((r) => fmt(r.peakRssMb, 0)).join(' → ') + ' MiB');
  }
}
