// `npm run bench`: every benchmark of issue 8 on this machine, each against a baseline measured in the same run.
// Flags: --only=rest,run,alerts,poll,live,footprint,fanout   --quick (short runs, not the issue's figures)
//        --rounds=N (A-B rounds of the REST load benchmark, default 4)   --update-docs (write the tables into docs/performance.md)
//        --strict (exit 1 when a target is missed)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { alertEvaluationBenchmark } from './alert-evaluation';
import { fanoutBenchmark } from './fanout';
import { footprintBenchmark } from './footprint';
import { buildBareApp, buildConsole, killStarted, ROOT } from './lib/processes';
import { allTables, renderMarkdown, renderText } from './lib/report';
import { postgresReachable, redisReachable } from './lib/services';
import type { BenchOptions, Services } from './options';
import { pollingBenchmark } from './polling';
import { propagationBenchmark } from './propagation';
import { restReadBenchmark } from './rest-read';
import { runOverheadBenchmark } from './run-overhead';

const BENCHMARKS = {
  rest: restReadBenchmark,
  run: runOverheadBenchmark,
  alerts: alertEvaluationBenchmark,
  poll: pollingBenchmark,
  live: propagationBenchmark,
  footprint: footprintBenchmark,
  fanout: fanoutBenchmark,
} as const;
type Name = keyof typeof BENCHMARKS;

function machine(): string[] {
  const pkg = (name: string) => {
    try {
      return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  return [
    `cpus: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    `memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `os: ${os.type()} ${os.release()}`,
    `node: ${process.version}`,
    `next ${pkg('next')}, react ${pkg('react')}, kysely ${pkg('kysely')}, better-sqlite3 ${pkg('better-sqlite3')}, pg ${pkg('pg')}, ioredis ${pkg('ioredis')}, playwright ${pkg('playwright')}, autocannon ${pkg('autocannon')}`,
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '4' },
      'update-docs': { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      `npm run bench -- [--only=${Object.keys(BENCHMARKS).join(',')}] [--quick] [--rounds=N] [--update-docs] [--strict]\nSee docs/performance.md "How to reproduce".`,
    );
    return 0;
  }
  const names = (values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHMARKS)) as Name[];
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const options: BenchOptions = { quick: values.quick ?? false, rounds: Math.max(1, Number(values.rounds) || 4) };
  const services: Services = { postgres: await postgresReachable(), redis: await redisReachable() };

  const header = machine();
  console.log(header.join('\n'));
  console.log(`services: PostgreSQL ${services.postgres ? 'reachable' : 'NOT reachable'}, Redis ${services.redis ? 'reachable' : 'NOT reachable'}`);
  console.log('\nBuilding the console (next build, skipped when current) and bench/bare-next…');
  buildConsole();
  buildBareApp();

  const started = Date.now();
  const failures: string[] = [];
  for (const name of names) {
    console.log(`\n▶ ${name}`);
    const t0 = Date.now();
    try {
      await BENCHMARKS[name](options, services);
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      console.error(`✗ ${name} could not run: ${error instanceof Error ? error.message : String(error)}`);
      killStarted();
    }
    console.log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }

  const tables = allTables();
  console.log('\n════════ Results ════════');
  for (const t of tables) console.log(renderText(t));
  const verdicts = tables.flatMap((t) => t.rows.filter((r) => r.verdict !== '').map((r) => `${r.verdict}  ${t.title.split(' — ')[0]}: ${r.metric}`));
  console.log(`\nTargets:\n${verdicts.map((v) => `  ${v}`).join('\n')}`);
  const failed = verdicts.filter((v) => v.startsWith('FAIL')).length;
  console.log(
    `\n${verdicts.length - failed} targets met, ${failed} missed${failures.length ? `, ${failures.length} benchmark(s) could not run` : ''}; ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  );

  const markdown = [
    `Run of ${new Date().toISOString()} (${options.quick ? "quick: NOT the issue's durations" : 'full'}${values.only ? `, only ${values.only}` : ''}).`,
    '',
    '```',
    ...header,
    '```',
    '',
    ...tables.map(renderMarkdown),
    ...(failures.length ? ['Benchmarks that could not run:', '', ...failures.map((f) => `- ${f.split('\n')[0]}`), ''] : []),
  ].join('\n');
  const resultsDir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'latest.md'), markdown);
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), JSON.stringify({ at: new Date().toISOString(), options, machine: header, tables, failures }, null, 2));
  console.log(`\nWrote bench/results/latest.md and latest.json.`);
  if (values['update-docs']) updateDocs(markdown);
  return values.strict && (failed > 0 || failures.length > 0) ? 1 : 0;
}

/** Replaces the generated section of docs/performance.md (between its markers) with this run's tables. */
function updateDocs(markdown: string): void {
  const file = path.join(ROOT, 'docs', 'performance.md');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const text = fs.readFileSync(file, 'utf8');
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/performance.md lacks the ${begin} … ${end} markers`);
  fs.writeFileSync(file, `${text.slice(0, from + begin.length)}\n${markdown}\n${text.slice(to)}`);
  console.log('Updated docs/performance.md.');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killStarted();
    process.exit(130);
  });
}

main().then(
  (code) => {
    killStarted();
    process.exit(code);
  },
  (error: unknown) => {
    killStarted();
    console.error(error);
    process.exit(1);
  },
);
