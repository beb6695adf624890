import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { testCaller, testToken } from '../testing/callers';
import { runLogQuerySchema } from '../automations/run-log.schemas';
import { type Fixture, startFixture } from './testing/fixture-servers';

const ENV = { POLL_DEADLINE_MS: '700', CONSOLE_SECRET: 'poll-log-test-secret-0123456789-012345' };
const SECRET_BODY = 'UPSTREAM-BODY-must-never-be-logged';

/** The poll's own run log, through a real run of the automation against real HTTP servers. */
describe.each(TOPOLOGIES)("the poll's run log on %s", (topology, available) => {
  let t: TestContainer;
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    t = await testContainer(topology, ENV);
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await t?.close();
  });

  async function fixture(behaviour: 'vllm' | 'hanging'): Promise<Fixture> {
    const f = await startFixture(behaviour);
    closers.push(() => f.close());
    return f;
  }

  /** Answers everything with a 503 whose body (and a header) the console must not repeat. */
  async function failing(): Promise<string> {
    const server = http.createServer((_, res) => res.writeHead(503, { 'x-upstream': SECRET_BODY }).end(SECRET_BODY));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('logs each failed server by name, kind and classification (never the upstream body) and counts servers', async () => {
    const tenant = (await t.c.tenants.service.create(testToken(), { name: 'fleet', slug: 'fleet' })).id;
    const create = (name: string, baseUrl: string) =>
      t.c.inference.servers.create(testCaller('test'), { tenantId: tenant, name, kind: 'vllm', baseUrl, pollIntervalSeconds: 30, enabled: true });
    await create('healthy-1', (await fixture('vllm')).url);
    await create('hanging-1', (await fixture('hanging')).url);
    await create('broken-1', await failing());

    const result = await t.c.automations.run(testToken(), 'inference-monitoring-poll');
    if (result.outcome !== 'finished') throw new Error(`expected a finished run, got ${result.outcome}`);
    expect(result.run.outcome).toBe('succeeded');
    const log = await t.c.automations.runLog(testToken(), 'inference-monitoring-poll', result.run.id, runLogQuerySchema.parse({}));

    expect(log.progress).toMatchObject({ done: 3, total: 3, unit: 'servers' });
    const failures = log.lines.filter((l) => l.message.startsWith('Server ')).sort((a, b) => a.message.localeCompare(b.message));
    expect(failures.map((l) => [l.level, l.fields?.server, l.fields?.kind])).toEqual([
      ['warn', 'broken-1', 'vllm'],
      ['warn', 'hanging-1', 'vllm'],
    ]);
    expect(failures[0]?.fields?.classification).toMatch(/HTTP 503/);
    expect(failures[1]?.fields?.classification).toMatch(/timed out/);
    expect(log.lines.at(-1)).toMatchObject({ level: 'warn', message: 'Polled 3 of 3 due servers; 2 failed' });
    expect(JSON.stringify(log)).not.toContain(SECRET_BODY);
    expect(JSON.stringify(log)).not.toContain('healthy-1');

    // A reader restricted to another tenant sees the summary but none of this tenant's servers.
    const other = await t.c.automations.runLog(
      testCaller('token:other', { restrictedTo: 'someone-else' }),
      'inference-monitoring-poll',
      result.run.id,
      runLogQuerySchema.parse({}),
    );
    expect(other.lines.map((l) => l.message)).toEqual(['Polled 3 of 3 due servers; 2 failed']);
  });
});
