// One poll run per concurrency, in a process of its own (so its memory is the poll's alone), through the real
// InferencePollService on a real SQLite database. Prints one JSON line per run on stdout.
// argv: <fixture url> <servers> <concurrency,…> <runs per concurrency> <runs at the last concurrency> <pause between runs, ms>
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { openContainer, sqliteTopology } from '../lib/services';

const [fleetUrl = '', serversText = '1000', concurrencyText = '8', runsText = '1', lastRunsText = '3', pauseText = '0'] = process.argv.slice(2);
const servers = Number(serversText);
const concurrencies = concurrencyText.split(',').map(Number);
const runsEach = Number(runsText);
const lastRuns = Number(lastRunsText);
const pauseMs = Number(pauseText);

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
}

async function main(): Promise<void> {
  const topology = sqliteTopology('poll');
  const runs: Array<{
    concurrency: number;
    servers: number;
    polled: number;
    ms: number;
    heapBeforeMb: number;
    heapAfterMb: number;
    peakRssMb: number;
    rssAfterMb: number;
    cpuMs: number;
  }> = [];
  for (const concurrency of concurrencies) {
    const handle = await openContainer(topology, {
      POLL_CONCURRENCY: String(concurrency),
      POLL_MAX_SERVERS_PER_RUN: String(servers),
      OUTBOUND_ALLOW_POLL: new URL(fleetUrl).host,
    });
    const c = handle.c;
    const db = c.database.db;
    const now = Date.now();
    if ((await db.selectFrom('tenants').select('id').execute()).length === 0) {
      await db.insertInto('tenants').values({ id: 'bench-tenant', name: 'Bench', slug: 'bench', created_at: now }).execute();
      const rows = Array.from({ length: servers }, (_, i) => ({
        id: randomUUID(),
        tenant_id: 'bench-tenant',
        name: `server-${i}`,
        kind: 'vllm' as const,
        base_url: `${fleetUrl}/s${i}`,
        reach: 'platform' as const,
        api_key_enc: null,
        poll_interval_s: 30,
        enabled: 1,
        status: 'up' as const,
        last_polled_at: null,
        last_latency_ms: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      }));
      for (let i = 0; i < rows.length; i += 200)
        await db
          .insertInto('inference_servers')
          .values(rows.slice(i, i + 200))
          .execute();
    }
    const runsHere = concurrency === concurrencies[concurrencies.length - 1] ? lastRuns : runsEach;
    for (let r = 0; r < runsHere; r++) {
      // Runs are 30 s apart in production, so the connections a run kept alive have closed before the next one
      // (after 4 s idle): wait that out, so no run starts with the previous run's connections.
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      // Every server due again.
      await db.updateTable('inference_servers').set({ last_polled_at: null }).execute();
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      let peakRss = process.memoryUsage.rss();
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
      }, 25);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      // As the run executor's signal: one listener per request in flight is expected, not a leak.
      const signal = AbortSignal.timeout(300_000);
      setMaxListeners(0, signal);
      const result = await c.inference.poll.pollDueServers({ now: () => Date.now(), signal });
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      clearInterval(sampler);
      gc();
      const mb = (b: number) => b / 2 ** 20;
      runs.push({
        concurrency,
        servers,
        polled: result.dueServers,
        ms,
        heapBeforeMb: mb(heapBefore),
        heapAfterMb: mb(process.memoryUsage().heapUsed),
        peakRssMb: mb(peakRss),
        rssAfterMb: mb(process.memoryUsage.rss()),
        cpuMs: (cpu.user + cpu.system) / 1000,
      });
      process.stdout.write(`${JSON.stringify(runs[runs.length - 1])}\n`);
    }
    await handle.close();
  }
  await topology.cleanup();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
