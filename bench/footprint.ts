import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { BARE_APP, type ServerProcess, childEnv, ROOT, rssOf, startNext, treePss } from './lib/processes';
import { compare, fmt, newTable, note } from './lib/report';
import { startPageServer } from './lib/pages';
import { createToken, openContainer, sqliteTopology } from './lib/services';
import { median, mib, sleep } from './lib/stats';
import type { BenchOptions, Services } from './options';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Median RSS of a process over `seconds` of idling, sampled every 500 ms (bytes). */
async function idleRss(pid: number, seconds: number): Promise<number> {
  const samples: number[] = [];
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    samples.push(rssOf(pid));
    await sleep(500);
  }
  return median(samples);
}

/** Median PSS of a process tree over a few samples, once it settled (bytes). */
async function settledPss(pid: number): Promise<number> {
  await sleep(1500);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(treePss(pid));
    await sleep(300);
  }
  return median(samples);
}

/** Loads the same pages and API answers on both apps, so both have their routes compiled and caches warm. */
async function warm(url: string, paths: string[], headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (const p of paths) {
      const res = await fetch(`${url}${p}`, { headers });
      await res.arrayBuffer();
    }
  }
}

/**
 * Benchmark 6: (a) RSS of an idle console with its scheduler on against a bare Next app built with the same
 * `next`, both warmed the same way and idling for the same time; (b) memory per browser session (the console's
 * whole process tree: Node, its per-session policy proxy, Chromium) against a bare Playwright context with one page
 * in the same Chromium (its whole process tree too), both opening the same page.
 */
export async function footprintBenchmark(options: BenchOptions, _services: Services): Promise<void> {
  const idleSeconds = options.quick ? 8 : 40;
  const sessions = 4;
  const topology = sqliteTopology('footprint');
  const token = await createToken(topology, 'bench-footprint');
  const seed = await openContainer(topology);
  await seed.c.database.db.insertInto('tenants').values({ id: 'bench-tenant', name: 'Bench', slug: 'bench', created_at: Date.now() }).execute();
  await seed.close();
  const pages = await startPageServer();
  let consoleApp: ServerProcess | null = null;
  let bare: ServerProcess | null = null;
  let worker: ChildProcess | null = null;
  const table = newTable(
    'footprint',
    '6. Footprint — idle console vs bare Next app; memory per browser session vs a bare Playwright context',
    `Idle: RSS of the \`next start\` process, median over ${idleSeconds} s of idling after the same warm-up (each app's page and an API route, three times); the console runs its scheduler (three automations every 30 s) on SQLite. Bare app: bench/bare-next, built with the same next. Sessions: growth of the whole process tree's PSS (shared pages split, so Chromium's processes add up) over ${sessions} sessions after a first one launched the browser, divided by ${sessions}.`,
    { baseline: 'bare', candidate: 'console' },
  );
  try {
    consoleApp = await startNext({
      label: 'console',
      readyPath: '/api/health',
      env: {
        ...topology.env,
        INSTANCE_ID: 'bench-footprint',
        CHROMIUM_PATH: CHROMIUM,
        // The first session, then the measured ones, all of one tenant: its quota is at most one less than the
        // instance's capacity (a slot is always left to other tenants).
        BROWSER_MAX_SESSIONS: String(sessions + 2),
        TENANT_MAX_BROWSER_SESSIONS: String(sessions + 1),
        OUTBOUND_ALLOW_BROWSER: new URL(pages.url).host,
      },
    });
    bare = await startNext({ label: 'bare Next app', dir: BARE_APP, readyPath: '/api/constant' });
    const auth = { authorization: `Bearer ${token}` };
    await warm(consoleApp.url, ['/login', '/api/health', '/api/client/v1/automations'], auth);
    await warm(bare.url, ['/', '/api/constant']);
    const [consoleRss, bareRss] = await Promise.all([idleRss(consoleApp.pid, idleSeconds), idleRss(bare.pid, idleSeconds)]);
    process.stdout.write(`  idle RSS: console ${fmt(mib(consoleRss))} MiB, bare Next ${fmt(mib(bareRss))} MiB\n`);
    compare(table, 'idle RSS (MiB)', mib(bareRss), mib(consoleRss), { digits: 1, target: { op: '<=', limit: 1.5 } });
    await bare.stop();
    bare = null;

    // Console sessions: the first launches Chromium; the next ones are what a session costs.
    const open = async () => {
      const res = await fetch(`${consoleApp?.url}/api/client/v1/browser/sessions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ tenantId: 'bench-tenant', url: pages.url }),
      });
      const text = await res.text();
      if (res.status !== 200 && res.status !== 201) throw new Error(`session create answered ${res.status}: ${text.slice(0, 200)}`);
    };
    await open();
    const consoleBefore = await settledPss(consoleApp.pid);
    for (let i = 0; i < sessions; i++) await open();
    const consoleAfter = await settledPss(consoleApp.pid);
    const perConsoleSession = (consoleAfter - consoleBefore) / sessions;

    // Bare contexts, same Chromium and arguments, in a process of their own.
    worker = spawn(
      process.execPath,
      [
        '--require',
        path.join(ROOT, 'scripts', 'server-only-outside-next.cjs'),
        '--import',
        'tsx',
        path.join(ROOT, 'bench', 'workers', 'bare-contexts.ts'),
        pages.url,
        CHROMIUM,
      ],
      {
        cwd: ROOT,
        env: childEnv(),
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const lines = readline.createInterface({ input: worker.stdout as NodeJS.ReadableStream });
    const replies = lines[Symbol.asyncIterator]();
    const ready = async () => {
      const timer = setTimeout(() => worker?.kill('SIGKILL'), 60_000);
      const next = await replies.next();
      clearTimeout(timer);
      if (next.done || next.value !== 'ready') throw new Error('bare Playwright worker did not answer');
    };
    const command = async (line: string) => {
      worker?.stdin?.write(`${line}\n`);
      await ready();
    };
    await ready();
    await command('open');
    const bareBefore = await settledPss(worker.pid ?? -1);
    for (let i = 0; i < sessions; i++) await command('open');
    const bareAfter = await settledPss(worker.pid ?? -1);
    const perBareContext = (bareAfter - bareBefore) / sessions;
    process.stdout.write(`  per session: console ${fmt(mib(perConsoleSession))} MiB, bare context ${fmt(mib(perBareContext))} MiB\n`);
    compare(table, 'memory per browser session (MiB PSS)', mib(perBareContext), mib(perConsoleSession), { digits: 1, target: { op: '<=', limit: 1.2 } });
    note(table, 'process tree with the first session (MiB PSS)', `${fmt(mib(consoleBefore))} console`, { baseline: `${fmt(mib(bareBefore))} bare` });
  } finally {
    worker?.stdin?.write('exit\n');
    if (worker && worker.exitCode === null) {
      const w = worker;
      await Promise.race([new Promise((resolve) => w.once('exit', resolve)), sleep(10_000)]);
      if (w.exitCode === null) w.kill('SIGKILL');
    }
    await consoleApp?.stop();
    await bare?.stop();
    await pages.close();
    await topology.cleanup();
  }
}
