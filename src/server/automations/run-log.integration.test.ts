import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { testCaller, testToken } from '../testing/callers';
import { insertSample, insertServer, insertTenant } from '../testing/alerts';
import { createRuleInputSchema } from '../alerts/alerts.schemas';
import { REDACTED_FIELDS } from '../logger';
import type { AutomationRunLogTable } from '../db/schema';
import { RunLog } from './run-log';
import { RunLogRepository, type RunLogState } from './run-log.repository';
import { runLogQuerySchema } from './run-log.schemas';
import { alertEvaluation } from './definitions/alert-evaluation';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

describe.each(TOPOLOGIES)("a run's own log on %s", (topology, available) => {
  let t: TestContainer;
  let repository: RunLogRepository;
  /** Every write the log made: how many lines each carried. */
  let writes: number[];
  let clock: number;

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    t = await testContainer(topology, { CONSOLE_SECRET: 'run-log-test-secret-0123456789-0123456', RUN_LOG_FLUSH_MS: '50' });
    repository = new RunLogRepository(t.c.database.db, (fn) => t.c.database.writeTransaction(fn));
    writes = [];
    clock = Date.now();
  });
  afterEach(async () => {
    await t?.close();
  });

  async function startRun(key = 'alert-evaluation'): Promise<string> {
    const id = randomUUID();
    await t.c.runs.start({
      id,
      key,
      trigger: 'api',
      actor: 'token:ops-bot',
      instanceId: t.c.config.instanceId,
      slot: null,
      fence: 1,
      startedAt: clock,
      leaseExpiresAt: clock + 15_000,
    });
    return id;
  }

  function runLog(runId: string, limits: { maxLines?: number; maxBytes?: number } = {}): RunLog {
    const store = {
      append: (id: string, lines: AutomationRunLogTable[], state: RunLogState) => {
        writes.push(lines.length);
        return repository.append(id, lines, state);
      },
    };
    // The interval is far away: only the line count, progress and close write in these tests.
    return new RunLog({ runId, store, limits: { maxLines: 5_000, maxBytes: 1024 * 1024, flushMs: 60_000, ...limits }, logger: silent, now: () => clock });
  }

  const page = (runId: string, query: Partial<{ after: number; limit: number }> = {}, caller = testToken()) =>
    t.c.automations.runLog(caller, 'alert-evaluation', runId, runLogQuerySchema.parse(query));

  it('writes lines in batches, not one statement per line, and what was written survives a run that never ends', async () => {
    const runId = await startRun();
    const log = runLog(runId);
    for (let i = 1; i <= 250; i++) {
      log.log('info', `line ${i}`, { i });
      // The run awaits its own work between lines, so a write started as the buffer filled can run meanwhile.
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await log.flush();
    // A write starts only once 100 lines wait (or at a flush) and takes all that wait then: at most 3 for 250.
    expect(writes.length).toBeLessThanOrEqual(3);
    expect(writes.slice(0, -1).every((n) => n >= 100)).toBe(true);
    expect(writes.reduce((a, b) => a + b, 0)).toBe(250);

    // The process "crashes" here: the log is never closed. What was flushed is stored, in order, with no gaps.
    const first = await page(runId, { limit: 1000 });
    expect(first.lines.map((l) => l.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(first.lines[249]).toMatchObject({ level: 'info', message: 'line 250', fields: { i: 250 } });
    expect(first).toMatchObject({ complete: false, logLines: 250, logDropped: 0, progress: null, nextAfter: 250 });
    expect(first.run).toMatchObject({ id: runId, outcome: 'running', actor: 'token:ops-bot' });

    // Pages resume after the last line read, without gaps or repeats.
    const a = await page(runId, { limit: 100 });
    const b = await page(runId, { after: a.nextAfter, limit: 100 });
    expect([a.lines[0]?.seq, a.nextAfter, b.lines[0]?.seq, b.nextAfter]).toEqual([1, 100, 101, 200]);
    expect((await page(runId, { after: 250 })).lines).toEqual([]);
    expect((await page(runId, { after: 250 })).nextAfter).toBe(250);
  });

  it('keeps the latest progress on the run: written at a progress report once the last write is old enough, and at the end', async () => {
    const runId = await startRun();
    const log = runLog(runId);
    log.progress(0, 300, 'servers');
    log.progress(12, 300, 'servers');
    // Nothing written yet: the last write (the log's start) is not RUN_LOG_FLUSH_MS old.
    expect(writes).toEqual([]);
    clock += 60_000;
    log.log('warn', 'server gpu-1 failed');
    log.progress(40, 300, 'servers');
    await log.flush();
    expect(writes).toEqual([1]);
    expect((await page(runId)).progress).toEqual({ done: 40, total: 300, unit: 'servers', at: new Date(clock).toISOString() });

    log.progress(300, 300, 'servers');
    log.progress(400, 300, 'servers'); // never past the total
    await log.close();
    log.log('info', 'after the end'); // ignored: the run is over
    await log.flush();
    const end = await page(runId);
    expect(end.progress).toMatchObject({ done: 300, total: 300, unit: 'servers' });
    expect(end.lines.map((l) => l.message)).toEqual(['server gpu-1 failed']);
  });

  it('stops at RUN_LOG_MAX_LINES with a visible marker, and counts what it dropped', async () => {
    const runId = await startRun();
    const log = runLog(runId, { maxLines: 10 });
    for (let i = 1; i <= 25; i++) log.log('info', `line ${i}`);
    await log.close();
    const { lines, logLines, logDropped } = await page(runId);
    expect(lines).toHaveLength(10);
    expect(lines.slice(0, 9).map((l) => l.message)).toEqual(Array.from({ length: 9 }, (_, i) => `line ${i + 1}`));
    expect(lines[9]).toMatchObject({
      seq: 10,
      level: 'warn',
      message: expect.stringMatching(/^Log truncated: this run reached its limit of 10 lines \(RUN_LOG_MAX_LINES\)/),
    });
    expect([logLines, logDropped]).toEqual([10, 16]);
  });

  it('stops at RUN_LOG_MAX_BYTES the same way', async () => {
    const runId = await startRun();
    const log = runLog(runId, { maxBytes: 1024 });
    for (let i = 1; i <= 10; i++) log.log('info', `${i} ${'x'.repeat(298)}`);
    await log.close();
    const { lines, logDropped } = await page(runId);
    const stored = lines.slice(0, -1).reduce((sum, l) => sum + Buffer.byteLength(l.message), 0);
    expect(stored).toBeLessThanOrEqual(1024);
    expect(lines.at(-1)?.message).toMatch(/limit of 1024 bytes \(RUN_LOG_MAX_BYTES\)/);
    expect(lines.length - 1 + logDropped).toBe(10);
  });

  it('redacts the fields the process log redacts, at any depth and in any case', async () => {
    const runId = await startRun();
    const log = runLog(runId);
    log.log('info', 'calling upstream', {
      token: 'tok-1',
      headers: { Authorization: 'Bearer s3cret', accept: 'json' },
      list: [{ password: 'pw' }],
      upstream: { request: { headers: { 'x-trace': 't', Cookie: 'sid=c00kie' } }, APIKEY: 'k3y' },
      kept: 'yes',
    });
    await log.close();
    const [line] = (await page(runId)).lines;
    expect(line?.fields).toEqual({
      token: '[redacted]',
      headers: { Authorization: '[redacted]', accept: 'json' },
      list: [{ password: '[redacted]' }],
      upstream: { request: { headers: { 'x-trace': 't', Cookie: '[redacted]' } }, APIKEY: '[redacted]' },
      kept: 'yes',
    });
    expect(JSON.stringify(line)).not.toMatch(/tok-1|s3cret|"pw"|c00kie|k3y/);
    expect(REDACTED_FIELDS).toContain('authorization');
  });

  it("shows a tenant-restricted reader only its own tenant's lines and the actor's kind; answers 404 for another automation's run", async () => {
    const runId = await startRun();
    const log = runLog(runId);
    log.log('info', 'about nobody');
    log.log('warn', 'about tenant a', { tenantId: 'tenant-a' });
    log.log('warn', 'about tenant b', { tenantId: 'tenant-b' });
    await log.close();
    expect((await page(runId)).lines.map((l) => l.message)).toEqual(['about nobody', 'about tenant a', 'about tenant b']);
    const restricted = await page(runId, {}, testCaller('token:tenant-bot', { restrictedTo: 'tenant-a' }));
    expect(restricted.lines.map((l) => l.message)).toEqual(['about nobody', 'about tenant a']);
    expect(restricted.run.actor).toBe('token');

    const notFound = { code: 'NOT_FOUND', message: `Run not found: ${runId}` };
    await expect(t.c.automations.runLog(testToken(), 'inference-monitoring-poll', runId, runLogQuerySchema.parse({}))).rejects.toMatchObject(notFound);
    await expect(t.c.automations.runLog(testToken(), 'alert-evaluation', randomUUID(), runLogQuerySchema.parse({}))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(t.c.automations.runLog(testToken(), 'no-such-thing', runId, runLogQuerySchema.parse({}))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('alert-evaluation run now: counts the rules, logs the incident it opened and the rule it could not judge; the lines go with the run', async () => {
    const db = t.c.database.db;
    const tenant = await insertTenant(db);
    const server = await insertServer(db, tenant, 'gpu-hot');
    await insertSample(db, tenant, server, Date.now() - 30_000, { kv_cache_usage_pct: 97 });
    const create = (input: Record<string, unknown>) =>
      t.c.alerts.service.createRule(testCaller('test'), createRuleInputSchema.parse({ tenantId: tenant, channels: [], ...input }));
    await create({ name: 'kv-hot', metric: 'kvCacheUsagePct', aggregation: 'last', operator: '>', threshold: 90 });
    const otherTenant = await insertTenant(db, 'Empty');
    await t.c.alerts.service.createRule(
      testCaller('test'),
      createRuleInputSchema.parse({
        tenantId: otherTenant,
        channels: [],
        name: 'lonely',
        metric: 'kvCacheUsagePct',
        aggregation: 'last',
        operator: '>',
        threshold: 90,
      }),
    );

    const quiet = await insertTenant(db, 'Quiet');
    await insertServer(db, quiet, 'gpu-quiet'); // never sampled
    await t.c.alerts.service.createRule(
      testCaller('test'),
      createRuleInputSchema.parse({
        tenantId: quiet,
        channels: [],
        name: 'silent',
        metric: 'kvCacheUsagePct',
        aggregation: 'last',
        operator: '>',
        threshold: 90,
        noData: 'keep',
      }),
    );

    const result = await t.c.automations.run(testToken(), 'alert-evaluation');
    if (result.outcome !== 'finished') throw new Error(`expected a finished run, got ${result.outcome}`);
    expect(result.run.outcome).toBe('succeeded');
    const log = await page(result.run.id);
    expect(log.progress).toMatchObject({ done: 3, total: 3, unit: 'rules' });
    expect(log.complete).toBe(true);
    // The rules come in the database's order; what is said about each is fixed.
    const unjudged = log.lines
      .filter((l) => l.level === 'warn')
      .map((l) => l.message)
      .sort();
    expect(unjudged).toEqual([
      'Rule lonely not evaluated: no enabled server in its scope',
      expect.stringMatching(/^Rule silent not evaluated on data: no samples in its \d+-minute window on 1 server\(s\); its no-data setting "keep" applies$/),
    ]);
    const opened = log.lines.filter((l) => l.level === 'info');
    expect(opened.map((l) => l.message)).toEqual(['Opened incident for rule kv-hot on gpu-hot (value 97)']);
    expect(opened[0]?.fields).toMatchObject({ rule: 'kv-hot', server: 'gpu-hot', value: 97, tenantId: tenant });
    // Once the server is disabled, the next run resolves the incident (out of scope) and says so.
    await db.updateTable('inference_servers').set({ enabled: 0 }).where('id', '=', server).execute();
    const second = await t.c.automations.run(testToken(), 'alert-evaluation');
    if (second.outcome !== 'finished') throw new Error(`expected a finished run, got ${second.outcome}`);
    const resolved = (await page(second.run.id)).lines.filter((l) => l.level === 'info');
    expect(resolved.map((l) => [l.message, l.fields?.resolution])).toEqual([['Resolved incident for rule kv-hot on gpu-hot (out-of-scope)', 'out-of-scope']]);

    // Retention deletes the run and, with it, its lines.
    expect(await t.c.runs.prune('alert-evaluation', 0, 0)).toBe(2);
    const left = await db
      .selectFrom('automation_run_logs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('run_id', '=', result.run.id)
      .executeTakeFirstOrThrow();
    expect(Number(left.n)).toBe(0);
  });

  it('a failed run ends its log with the error', async () => {
    // Make the run fail for real: the table evaluation reads first is gone.
    await t.c.database.db.schema.dropTable('revisions').execute();
    const result = await t.c.automations.run(testToken(), 'alert-evaluation');
    if (result.outcome !== 'finished') throw new Error(`expected a finished run, got ${result.outcome}`);
    expect(result.run.outcome).toBe('failed');
    const { lines } = await page(result.run.id);
    expect(lines.at(-1)).toMatchObject({ level: 'error', message: `Run failed: ${result.run.error}` });
  });

  it('a run in flight: its lines and progress are readable before it ends, from another instance on the same data', async () => {
    const other = await testContainer(topology, { INSTANCE_ID: `${t.c.config.instanceId}-b` }, t.env);
    try {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      // The real definition's key and settings, with a run function that stops half way until told to go on.
      const halting = {
        ...alertEvaluation,
        async run(_ports: unknown, ctx: Parameters<typeof alertEvaluation.run>[1]) {
          ctx.progress(0, 2, 'steps');
          ctx.log('info', 'first step done', { step: 1 });
          ctx.progress(1, 2, 'steps');
          await gate;
          ctx.log('info', 'second step done', { step: 2 });
          ctx.progress(2, 2, 'steps');
          return {};
        },
      };
      const running = t.c.executor.execute(halting, { trigger: 'api', actor: 'token:ops-bot', slot: null });
      const runId = await vi.waitFor(async () => {
        const [run] = await other.c.runs.history('alert-evaluation', 1);
        if (!run) throw new Error('no run yet');
        return run.id;
      });
      const read = () => other.c.automations.runLog(testToken(), 'alert-evaluation', runId, runLogQuerySchema.parse({}));
      // Written by the log's timer while the run waits: no end of run needed.
      await vi.waitFor(async () => expect((await read()).lines.map((l) => l.message)).toEqual(['first step done']), { timeout: 10_000 });
      expect(await read()).toMatchObject({ complete: false, progress: { done: 1, total: 2, unit: 'steps' }, run: { outcome: 'running' } });

      release();
      const result = await running;
      expect(result.outcome).toBe('finished');
      const end = await read();
      expect(end).toMatchObject({ complete: true, progress: { done: 2, total: 2 }, run: { outcome: 'succeeded' }, logLines: 2 });
      expect(end.lines.map((l) => l.seq)).toEqual([1, 2]);
    } finally {
      await other.close();
    }
  });
});
