import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, report, sleep, startCluster, waitFor } from './cluster';
import { testCaller, testToken } from '../src/server/testing/callers';

/** An inference server (vLLM format) that answers after `delayMs`: it makes poll runs as slow as we need. */
async function slowVllm(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('vllm:num_requests_running{model_name="m"} 1\nvllm:num_requests_waiting{model_name="m"} 0\n');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function addSlowServer(cluster: Cluster, url: string, name: string): Promise<void> {
  const tenant = await cluster.shared.c.tenants.service.create(testToken(), { name, slug: name });
  await cluster.shared.c.inference.servers.create(testCaller('test'), {
    tenantId: tenant.id,
    name,
    kind: 'vllm',
    baseUrl: url,
    pollIntervalSeconds: 10,
    enabled: true,
  });
}

const POLL = 'inference-monitoring-poll';

describe('runs under slowness, crashes and shutdown', () => {
  let cluster: Cluster | null = null;
  let fixture: { url: string; close(): Promise<void> } | null = null;
  afterEach(async () => {
    await cluster?.stop();
    await fixture?.close();
    cluster = null;
    fixture = null;
  });

  it('never runs two polls at once: slow scheduled runs plus 50 concurrent run-now requests across instances', async () => {
    fixture = await slowVllm(3_000);
    cluster = await startCluster({
      ids: ['r2-a', 'r2-b', 'r2-c'],
      env: { AUTOMATION_SCHEDULE_INFERENCE_MONITORING_POLL: '*/2 * * * * *', POLL_DEADLINE_MS: '20000' },
    });
    await addSlowServer(cluster, fixture.url, 'slow-overlap');
    const c = cluster;
    await waitFor('a slow poll in flight', 20_000, async () =>
      (await c.shared.c.runs.history(POLL, 5)).some((r) => r.outcome === 'running') ? true : undefined,
    );
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => c.api(c.instances[i % 3] ?? (c.instances[0] as never), `/automations/${POLL}/run`, { method: 'POST' })),
    );
    const kinds = answers.map((a) => {
      const state = (a.body.automation as { state?: string } | undefined)?.state;
      return a.status === 200 && state === 'running' ? 'already-running' : a.status === 200 ? 'finished' : `status ${a.status}`;
    });
    await sleep(12_000);
    const runs = (await c.shared.c.runs.history(POLL, 500)).filter((r) => r.finishedAt !== null).sort((x, y) => x.startedAt - y.startedAt);
    let overlaps = 0;
    for (let i = 1; i < runs.length; i++) {
      const previous = runs[i - 1];
      const current = runs[i];
      if (previous && current && current.startedAt < (previous.finishedAt ?? 0)) overlaps++;
    }
    const count = (k: string) => kinds.filter((x) => x === k).length;
    report(
      'no overlap',
      `${runs.length} poll runs over 3 instances (slowest ${Math.max(...runs.map((r) => r.durationMs ?? 0))} ms, schedule every 2 s), ${overlaps} overlapping; 50 run-now answers: ${count('finished')} finished, ${count('already-running')} already running, ${kinds.length - count('finished') - count('already-running')} other`,
    );
    expect(overlaps).toBe(0);
    expect(kinds.every((k) => k === 'finished' || k === 'already-running')).toBe(true);
  });

  it('kill -9 of the instance running a poll: abandoned within one lease, the lock lapses with it, the next slot runs elsewhere', async () => {
    fixture = await slowVllm(60_000);
    cluster = await startCluster({
      ids: ['r3-a', 'r3-b'],
      env: { AUTOMATION_SCHEDULE_INFERENCE_MONITORING_POLL: '*/2 * * * * *', POLL_DEADLINE_MS: '120000' },
    });
    await addSlowServer(cluster, fixture.url, 'slow-crash');
    const c = cluster;
    const { value: running } = await waitFor('a poll in flight', 20_000, async () =>
      (await c.shared.c.runs.history(POLL, 5)).find((r) => r.outcome === 'running'),
    );
    const holder = c.byId.get(running.instanceId);
    if (!holder) throw new Error('holder not found');
    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    const abandoned = await waitFor('the run closed as abandoned', 60_000, async () => {
      const run = await c.shared.c.runs.byId(running.id);
      return run?.outcome === 'abandoned' ? run : undefined;
    });
    // The dead instance's grant lapses with its lease; the survivor may hold the mutex for a run of its own by then.
    const lockGone = await waitFor('the dead instance to lose the run mutex', 30_000, async () =>
      (await c.shared.c.locks.holder(`run:${POLL}`)) !== running.instanceId ? true : undefined,
    );
    const survivor = running.instanceId === 'r3-a' ? 'r3-b' : 'r3-a';
    const next = await waitFor('a scheduled poll on the survivor', 30_000, async () =>
      (await c.shared.c.runs.history(POLL, 10)).find((r) => r.startedAt > killedAt && r.instanceId === survivor && r.trigger === 'schedule'),
    );
    report(
      'crash',
      `run abandoned ${abandoned.elapsedMs} ms after kill -9 (lease 15 s, sweep every 1 s); dead instance's mutex gone after ${abandoned.elapsedMs + lockGone.elapsedMs} ms at most; next scheduled run on ${survivor} ${abandoned.elapsedMs + lockGone.elapsedMs + next.elapsedMs} ms after the kill`,
    );
    expect(abandoned.value.error).toContain(running.instanceId);
  });

  it('SIGTERM during a run: the run finishes and is recorded, the lock is released at once, the process exits 0', async () => {
    fixture = await slowVllm(3_000);
    cluster = await startCluster({
      ids: ['r5-a', 'r5-b'],
      env: { AUTOMATION_SCHEDULE_INFERENCE_MONITORING_POLL: '*/2 * * * * *', POLL_DEADLINE_MS: '20000', SHUTDOWN_GRACE_MS: '10000' },
    });
    await addSlowServer(cluster, fixture.url, 'slow-shutdown');
    const c = cluster;
    const { value: running } = await waitFor('a poll in flight', 20_000, async () =>
      (await c.shared.c.runs.history(POLL, 5)).find((r) => r.outcome === 'running'),
    );
    const holder = c.byId.get(running.instanceId);
    if (!holder) throw new Error('holder');
    const signalledAt = Date.now();
    const code = await holder.stop('SIGTERM');
    const exitedAt = Date.now();
    expect(code).toBe(0);
    const run = await c.shared.c.runs.byId(running.id);
    expect(run?.outcome).toBe('succeeded');
    expect(await c.shared.c.locks.holder(`run:${POLL}`)).toBeNull();
    report(
      'graceful shutdown',
      `SIGTERM during a 3 s poll: run ${run?.outcome} in ${run?.durationMs} ms, process exited ${exitedAt - signalledAt} ms after the signal with code ${code}, run mutex free at exit`,
    );
    const instances = await c.shared.c.instances.live();
    expect(instances.map((i) => i.id)).not.toContain(running.instanceId);
  });
});
