import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, PrivateRedis, report, sleep, startCluster, waitFor } from './cluster';

type View = { state: string; lastError: string | null; lastStartedAt: string | null };

describe('faults', () => {
  let cluster: Cluster | null = null;
  let redis: PrivateRedis | null = null;
  afterEach(async () => {
    await cluster?.stop();
    await redis?.down();
    cluster = null;
    redis = null;
  });

  it('lock store outage: no run starts, degraded naming the lock store, run-now 503, reads keep working; recovers', async () => {
    redis = await PrivateRedis.start();
    cluster = await startCluster({ ids: ['r4-a', 'r4-b'], redisUrl: redis.url, env: { AUTOMATION_SCHEDULE_ALERT_EVALUATION: '* * * * * *' } });
    const [a, b] = cluster.instances;
    if (!a || !b) throw new Error('instances');
    const c = cluster;
    await waitFor('first scheduled run', 20_000, async () => ((await c.shared.c.runs.history('alert-evaluation', 5)).length > 0 ? true : undefined));

    await redis.down();
    const downAt = Date.now();
    const degraded = await waitFor('degraded view naming the lock store', 15_000, async () => {
      const res = await c.api(b, '/automations/alert-evaluation');
      const view = res.body.automation as View | undefined;
      return view?.state === 'degraded' && /Lock store \(Redis\) unavailable/.test(view.lastError ?? '') ? view : undefined;
    });
    report('lock store outage', `degraded with "${degraded.value.lastError?.slice(0, 60)}…" ${degraded.elapsedMs} ms after Redis stopped`);

    const run = await c.api(a, '/automations/alert-evaluation/run', { method: 'POST' });
    expect(run.status).toBe(503);
    expect(Number(run.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await c.api(a, '/automations')).status).toBe(200);
    expect((await fetch(`${a.url}/api/health`)).status).toBe(200);

    await sleep(4000);
    const upAt = Date.now();
    const startedWhileDown = (await c.shared.c.runs.history('alert-evaluation', 100)).filter((r) => r.startedAt > downAt + 1500 && r.startedAt < upAt);
    report('lock store outage', `${startedWhileDown.length} runs started during ${Math.round((upAt - downAt) / 1000)} s without Redis`);
    expect(startedWhileDown).toEqual([]);

    await redis.up();
    const recovered = await waitFor('first successful scheduled run after Redis is back', 30_000, async () => {
      const runs = await c.shared.c.runs.history('alert-evaluation', 5);
      return runs.find((r) => r.startedAt > upAt && r.trigger === 'schedule' && r.outcome === 'succeeded');
    });
    report('lock store recovery', `first scheduled run ${recovered.elapsedMs} ms after Redis came back (schedule: every 1 s)`);
    const healthy = await waitFor('active view again', 15_000, async () => {
      const view = (await c.api(b, '/automations/alert-evaluation')).body.automation as View | undefined;
      return view && view.state !== 'degraded' ? view : undefined;
    });
    expect(healthy.value.lastError).toBeNull();
  });

  it('Redis down at boot: the console starts anyway and says why', async () => {
    cluster = await startCluster({ ids: [] });
    const a = await cluster.start('r4-boot', { REDIS_URL: 'redis://127.0.0.1:1' });
    const health = (await (await fetch(`${a.url}/api/health`)).json()) as { status: string; lockStore: string };
    expect(health).toMatchObject({ status: 'ok', lockStore: 'unavailable' });
    const view = (await cluster.api(a, '/automations/alert-evaluation')).body.automation as View;
    expect(view.state).toBe('degraded');
    expect(view.lastError).toMatch(/Lock store \(Redis\) unavailable/);
  });

  it('a frozen scheduler (SIGSTOP) shows as overdue on the other instances', async () => {
    cluster = await startCluster({ ids: [], env: { AUTOMATION_SCHEDULE_ALERT_EVALUATION: '*/2 * * * * *' } });
    const scheduler = await cluster.start('r11-scheduler');
    const server = await cluster.start('r11-server', { SCHEDULER: 'off' });
    const c = cluster;
    await waitFor('a scheduled run', 20_000, async () =>
      (await c.shared.c.runs.history('alert-evaluation', 5)).some((r) => r.trigger === 'schedule') ? true : undefined,
    );
    scheduler.child.kill('SIGSTOP');
    try {
      const frozenAt = Date.now();
      const overdue = await waitFor('overdue on the serving instance', 40_000, async () => {
        const view = (await c.api(server, '/automations/alert-evaluation')).body.automation as View | undefined;
        return view?.state === 'degraded' && view.lastError?.startsWith('Overdue') ? view : undefined;
      });
      report(
        'overdue detection',
        `"${overdue.value.lastError}" on the serving instance ${Date.now() - frozenAt} ms after the only scheduler froze (schedule every 2 s, grace 10 s)`,
      );
    } finally {
      scheduler.child.kill('SIGCONT');
    }
  });
});
