import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Container } from '../src/server/container';
import type { Database } from '../src/server/db/schema';
import { compare, fmt, newTable, note } from './lib/report';
import { type Topology, openContainer, postgresTopology, sqliteTopology } from './lib/services';
import { median } from './lib/stats';
import type { BenchOptions, Services } from './options';

const TENANTS = 1_000;
const SERVERS_PER_TENANT = 2;
const SAMPLE_EVERY_S = 30;
const SAMPLES_PER_SERVER = (6 * 3600) / SAMPLE_EVERY_S; // 6 h at 30 s = 720
/** Rule windows in minutes, used in turn; the longest is the window the baseline scan reads. */
const WINDOWS = [5, 10, 15, 30, 60] as const;
const MAX_WINDOW_MIN = Math.max(...WINDOWS);
/** One server in this many is "hot" (its values breach); the others stay within normal ranges. */
const HOT_EVERY = 50;

/**
 * Rules in turn, one per metric a sample has: for normal servers every one of them holds, for hot servers they
 * breach — so a few percent of (rule, server) pairs fire, as on a real fleet.
 */
const RULE_KINDS = [
  { metric: 'up', aggregation: 'min', operator: '<', threshold: 1 },
  { metric: 'latency_ms', aggregation: 'avg', operator: '>', threshold: 400 },
  { metric: 'requests_running', aggregation: 'max', operator: '>', threshold: 60 },
  { metric: 'requests_waiting', aggregation: 'avg', operator: '>', threshold: 30 },
  { metric: 'kv_cache_usage_pct', aggregation: 'avg', operator: '>', threshold: 90 },
  { metric: 'prompt_tokens_per_s', aggregation: 'last', operator: '<', threshold: 1 },
  { metric: 'generation_tokens_per_s', aggregation: 'avg', operator: '<', threshold: 10 },
  { metric: 'ttft_ms', aggregation: 'avg', operator: '>', threshold: 2000 },
] as const;

/** Numbers 0..n-1 as a table `seq(n)`, in each dialect's fastest way. */
function sequence(dialect: 'sqlite' | 'postgres', n: number) {
  return dialect === 'postgres'
    ? sql`SELECT generate_series(0, ${sql.lit(n - 1)}) AS n`
    : sql`WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < ${sql.lit(n - 1)}) SELECT n FROM s`;
}

/**
 * Tenants, servers and 6 h of samples, generated inside the database (one statement each). Samples go in oldest
 * poll first, every server per poll, as the poller writes them, so rows of one time range sit together on disk.
 */
export async function seedFleet(c: Container, now: number): Promise<void> {
  const db = c.database.db as Kysely<Database>;
  const dialect = c.database.dialect;
  const seq = (n: number) => sequence(dialect, n);
  const text = (expr: ReturnType<typeof sql>) => (dialect === 'postgres' ? sql`CAST(${expr} AS TEXT)` : expr);
  await sql`INSERT INTO tenants (id, name, slug, created_at)
    SELECT 't' || ${text(sql`n`)}, 'Tenant ' || ${text(sql`n`)}, 'tenant-' || ${text(sql`n`)}, ${sql.lit(now)} FROM (${seq(TENANTS)}) q`.execute(db);
  const servers = TENANTS * SERVERS_PER_TENANT;
  await sql`INSERT INTO inference_servers (id, tenant_id, name, kind, base_url, api_key_enc, poll_interval_s, enabled, status, last_polled_at, last_latency_ms, last_error, created_at, updated_at)
    SELECT 's' || ${text(sql`n`)}, 't' || ${text(sql`(n / ${sql.lit(SERVERS_PER_TENANT)})`)}, 'server-' || ${text(sql`n`)}, 'vllm',
           'http://127.0.0.1:9/s' || ${text(sql`n`)}, NULL, 30, 1, 'up', ${sql.lit(now)}, 20, NULL, ${sql.lit(now)}, ${sql.lit(now)}
    FROM (${seq(servers)}) q`.execute(db);
  // Values from integer arithmetic on (server, step): deterministic, spread, and the same in both dialects.
  const hot = sql`(s.n % ${sql.lit(HOT_EVERY)} = 0)`;
  const r = (mod: number) => sql`((s.n * 7919 + k.n * 104729) % ${sql.lit(mod)})`;
  const value = (normal: ReturnType<typeof sql>, hotValue: ReturnType<typeof sql>) => sql`CASE WHEN ${hot} THEN ${hotValue} ELSE ${normal} END`;
  await sql`INSERT INTO inference_samples (id, server_id, tenant_id, at, up, latency_ms, requests_running, requests_waiting, kv_cache_usage_pct,
                                           prompt_tokens_per_s, generation_tokens_per_s, ttft_ms, models, counters, error)
    SELECT 'x' || ${text(sql`s.n`)} || '-' || ${text(sql`k.n`)}, 's' || ${text(sql`s.n`)}, 't' || ${text(sql`(s.n / ${sql.lit(SERVERS_PER_TENANT)})`)},
           ${sql.lit(now)} - k.n * ${sql.lit(SAMPLE_EVERY_S * 1000)} - (s.n % 29) * 1000,
           ${value(sql`1`, sql`CASE WHEN k.n % 10 = 0 THEN 0 ELSE 1 END`)},
           ${value(sql`50.0 + ${r(200)}`, sql`550.0 + ${r(200)}`)},
           ${value(sql`1.0 * ${r(50)}`, sql`50.0 + ${r(50)}`)},
           ${value(sql`1.0 * ${r(20)}`, sql`40.0 + ${r(20)}`)},
           ${value(sql`10.0 + ${r(70)}`, sql`90.0 + ${r(10)}`)},
           ${value(sql`100.0 + ${r(900)}`, sql`0.0`)},
           ${value(sql`50.0 + ${r(450)}`, sql`1.0 * ${r(5)}`)},
           ${value(sql`100.0 + ${r(800)}`, sql`2500.0 + ${r(1000)}`)},
           NULL, NULL, NULL
    FROM (${seq(SAMPLES_PER_SERVER)}) k CROSS JOIN (${seq(servers)}) s
    ORDER BY k.n DESC, s.n`.execute(db);
  await settle(c);
}

/** Replaces every rule (and what evaluations left behind) with `count` rules spread evenly over the tenants. */
export async function seedRules(c: Container, count: number, now: number): Promise<void> {
  const db = c.database.db as Kysely<Database>;
  for (const table of ['notification_outbox', 'incident_events', 'incidents', 'alert_channels', 'alert_rules'] as const) {
    await db.deleteFrom(table).execute();
  }
  const rows = Array.from({ length: count }, (_, i) => {
    const kind = RULE_KINDS[i % RULE_KINDS.length] as (typeof RULE_KINDS)[number];
    const tenant = i % TENANTS;
    // Every fifth rule watches one server of its tenant; the others all of the tenant's servers.
    const serverId = i % 5 === 4 ? `s${tenant * SERVERS_PER_TENANT}` : null;
    return {
      id: randomUUID(),
      tenant_id: `t${tenant}`,
      name: `rule ${i}`,
      metric: kind.metric,
      aggregation: kind.aggregation,
      operator: kind.operator,
      threshold: kind.threshold,
      window_minutes: WINDOWS[Math.floor(i / RULE_KINDS.length) % WINDOWS.length] as number,
      server_id: serverId,
      severity: 'warning' as const,
      no_data: 'ok' as const,
      cooldown_minutes: 60,
      enabled: 1,
      created_at: now,
      updated_at: now,
    };
  });
  const batch = c.database.dialect === 'postgres' ? 2_000 : 500;
  await c.database.writeTransaction(async (trx) => {
    for (let i = 0; i < rows.length; i += batch)
      await trx
        .insertInto('alert_rules')
        .values(rows.slice(i, i + batch))
        .execute();
  });
  await settle(c);
}

/**
 * Fresh statistics for the planner, and on PostgreSQL no dead rows left by the deletes above: otherwise autovacuum
 * may start on them in the middle of the measured runs.
 */
async function settle(c: Container): Promise<void> {
  const db = c.database.db as Kysely<Database>;
  if (c.database.dialect === 'sqlite') {
    await sql`ANALYZE`.execute(db);
    return;
  }
  // Our tables only: the database may hold other schemas (tests, other benchmarks).
  await sql`VACUUM ANALYZE tenants, inference_servers, inference_samples, alert_rules, alert_channels, incidents, incident_events, notification_outbox`.execute(
    db,
  );
}

/**
 * The baseline: one scan of every sample in the longest rule window, grouped by server, aggregating each metric once
 * the way its rules read it (the issue's "single SQL scan that reads the same window of samples").
 */
async function scanWindow(c: Container, now: number): Promise<number> {
  const t0 = performance.now();
  const result = await sql<{ server_id: string }>`
    SELECT server_id, COUNT(*) AS samples, MIN(up) AS up_min, AVG(latency_ms) AS latency, MAX(requests_running) AS running,
           AVG(requests_waiting) AS waiting, AVG(kv_cache_usage_pct) AS kv, MIN(prompt_tokens_per_s) AS prompt,
           AVG(generation_tokens_per_s) AS generation, AVG(ttft_ms) AS ttft
    FROM inference_samples
    WHERE at > CAST(${now - MAX_WINDOW_MIN * 60_000} AS BIGINT) AND at <= CAST(${now} AS BIGINT)
    GROUP BY server_id`.execute(c.database.db);
  if (result.rows.length === 0) throw new Error('the scan found no samples');
  return performance.now() - t0;
}

/** Touches one rule (no real change), which moves the rules' revision: the next evaluation reads every rule again. */
async function touchRule(c: Container): Promise<void> {
  await sql`UPDATE alert_rules SET updated_at = updated_at + 1 WHERE id = (SELECT MIN(id) FROM alert_rules)`.execute(c.database.db);
}

async function evaluate(c: Container, now: number): Promise<{ ms: number; fired: number; tenants: number }> {
  const t0 = performance.now();
  const result = await c.alerts.port.evaluateAll({
    runId: randomUUID(),
    trigger: 'api',
    instanceId: 'bench',
    lockProvider: 'local',
    signal: new AbortController().signal,
    now: () => now,
    log: () => {},
    progress: () => {},
  });
  return { ms: performance.now() - t0, fired: result.firedCount, tenants: result.processedTenants };
}

/**
 * Benchmark 3: one evaluation of every rule (the alert-evaluation automation's work, through the real service on a
 * real database) against one SQL scan that reads the same window of samples. Then how evaluation time grows
 * from 1k to 10k to 100k rules. Times are medians of steady-state runs (after a first run that opened incidents).
 */
export async function alertEvaluationBenchmark(options: BenchOptions, services: Services): Promise<void> {
  const topologies: Topology[] = [sqliteTopology('alerts')];
  if (services.postgres) topologies.push(postgresTopology('alerts', { redis: false }));
  else console.log('  PostgreSQL not reachable: measured on SQLite only');
  const repeats = options.quick ? 1 : 5;
  const growth = options.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];

  const table = newTable(
    'alert-evaluation',
    `3. Alert evaluation at scale — ${TENANTS.toLocaleString('en-US')} tenants, 10,000 rules, ${(TENANTS * SERVERS_PER_TENANT).toLocaleString('en-US')} servers, 6 h of samples at 30 s (${(TENANTS * SERVERS_PER_TENANT * SAMPLES_PER_SERVER).toLocaleString('en-US')} rows)`,
    `Baseline: one SQL statement scanning every sample of the longest rule window (${MAX_WINDOW_MIN} min), grouped by server, aggregating each metric once as its rules do. Candidate: one evaluation run (AlertEvaluationService.evaluateAll: the rules' revision and the servers, the set-based aggregation of every (rule, server) window, open incidents, then the batched transitions); the rules are kept between runs while their revision stands, and the second row is a run right after a rule changed, which reads all of them again. Samples are stored in time order, as polling writes them. Windows ${WINDOWS.join('/')} min; one server in ${HOT_EVERY} breaches. Median of ${repeats} steady-state runs each, interleaved.`,
    { baseline: 'window scan', candidate: 'evaluation run' },
  );
  const growthTable = newTable(
    'alert-growth',
    '3b. Alert evaluation growth — rules 1k → 10k → 100k (same fleet and samples)',
    'Evaluation time per run (median of steady-state runs) and per rule. Linear growth keeps ms per 1k rules flat; the ratio column is the time ratio to the previous step divided by the rule ratio (≤ 1 is linear or better).',
    { baseline: 'previous step', candidate: 'this step' },
  );

  for (const topology of topologies) {
    const handle = await openContainer(topology);
    try {
      const c = handle.c;
      const now = Date.now();
      const seedStart = performance.now();
      await seedFleet(c, now);
      process.stdout.write(`  ${topology.label}: seeded the fleet in ${fmt((performance.now() - seedStart) / 1000, 1)} s\n`);

      const judgedRules = 10_000;
      const steps = [...new Set([...growth, judgedRules])].sort((a, b) => a - b);
      let previous: { rules: number; ms: number } | null = null;
      for (const rules of steps) {
        await seedRules(c, rules, now);
        const cold = await evaluate(c, now);
        const evals: number[] = [];
        const scans: number[] = [];
        const afterChange: number[] = [];
        const count = rules > judgedRules ? 1 : repeats;
        for (let i = 0; i < count; i++) {
          scans.push(await scanWindow(c, now));
          evals.push((await evaluate(c, now)).ms);
          if (rules === judgedRules) {
            await touchRule(c);
            afterChange.push((await evaluate(c, now)).ms);
          }
        }
        const ms = median(evals);
        process.stdout.write(
          `  ${topology.label}: ${rules.toLocaleString('en-US')} rules — first run ${fmt(cold.ms, 0)} ms (fired ${cold.fired}, tenants ${cold.tenants}), steady ${fmt(ms, 0)} ms, scan ${fmt(median(scans), 0)} ms\n`,
        );
        if (rules === judgedRules) {
          compare(table, `${topology.label}: evaluation vs window scan`, median(scans), ms, { unit: 'ms', digits: 0, target: { op: '<=', limit: 2 } });
          compare(table, `${topology.label}: evaluation right after a rule changed (every rule read again)`, median(scans), median(afterChange), {
            unit: 'ms',
            digits: 0,
          });
          note(table, `${topology.label}: first run (opens ${cold.fired.toLocaleString('en-US')} rules' incidents)`, `${fmt(cold.ms, 0)} ms`);
        }
        if (growth.includes(rules)) {
          const perK = ms / (rules / 1000);
          if (previous) {
            const ratio = ms / previous.ms / (rules / previous.rules);
            note(growthTable, `${topology.label}: ${rules.toLocaleString('en-US')} rules`, `${fmt(ms, 0)} ms (${fmt(perK, 1)} ms per 1k rules)`, {
              baseline: `${fmt(previous.ms, 0)} ms @ ${previous.rules.toLocaleString('en-US')}`,
              ratio: ratio.toFixed(2),
              target: '<= 1.1 (linear ± noise)',
              ok: ratio <= 1.1,
            });
          } else {
            note(growthTable, `${topology.label}: ${rules.toLocaleString('en-US')} rules`, `${fmt(ms, 0)} ms (${fmt(perK, 1)} ms per 1k rules)`);
          }
          previous = { rules, ms };
        }
      }
    } finally {
      await handle.close();
      await topology.cleanup();
    }
  }
}
