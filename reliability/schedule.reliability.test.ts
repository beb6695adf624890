import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../src/server/automations/run.repository';
import { type Cluster, SLOTS, report, sleep, startCluster, waitFor } from './cluster';

const EVERY_SECOND = {
  AUTOMATION_SCHEDULE_ALERT_EVALUATION: '* * * * * *',
  AUTOMATION_SCHEDULE_INFERENCE_MONITORING_POLL: '* * * * * *',
  AUTOMATION_SCHEDULE_BROWSER_SESSION_REAPER: '* * * * * *',
};

function scheduled(runs: RunRecord[]): RunRecord[] {
  return runs.filter((r) => r.trigger === 'schedule');
}

/** Slots (epoch ms) of the runs, and the gaps between the first and the last one. */
function slotStats(runs: RunRecord[]): { slots: number[]; duplicates: number; gaps: number[] } {
  const slots = runs.map((r) => Date.parse((r.slot ?? '').split('@')[0] ?? ''));
  const unique = [...new Set(slots)].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let s = unique[0] ?? 0; s <= (unique[unique.length - 1] ?? -1); s += 1000) if (!unique.includes(s)) gaps.push(s);
  return { slots: unique, duplicates: slots.length - unique.length, gaps };
}

describe('scheduling across three instances', () => {
  let cluster: Cluster;
  afterAll(async () => {
    await cluster?.stop();
  });

  it(`runs each one-second slot exactly once across 3 instances (${SLOTS} slots)`, async () => {
    cluster = await startCluster({ ids: ['r1-a', 'r1-b', 'r1-c'], env: EVERY_SECOND });
    const { elapsedMs } = await waitFor(`${SLOTS} slots of alert-evaluation`, SLOTS * 1000 + 60_000, async () => {
      const runs = scheduled(await cluster.shared.c.runs.history('alert-evaluation', SLOTS + 50));
      return runs.length >= SLOTS ? runs : undefined;
    });
    // let runs in flight settle before reading the history
    await sleep(1500);
    for (const key of ['alert-evaluation', 'inference-monitoring-poll']) {
      const runs = scheduled(await cluster.shared.c.runs.history(key, 1000));
      const { slots, duplicates, gaps } = slotStats(runs);
      report(
        `exactly once per slot (${key})`,
        `${slots.length} slots in ${Math.round(elapsedMs / 1000)} s across 3 instances, ${duplicates} duplicates, ${gaps.length} gaps, runs by instance ${JSON.stringify(countBy(runs, (r) => r.instanceId))}`,
      );
      expect(duplicates).toBe(0);
      expect(gaps).toEqual([]);
      expect(runs.every((r) => r.outcome === 'succeeded')).toBe(true);
    }
    // the reaper is per instance: each slot once on each instance
    const reaper = scheduled(await cluster.shared.c.runs.history('browser-session-reaper', 3000));
    const perInstance = new Map<string, RunRecord[]>();
    for (const r of reaper) perInstance.set(r.instanceId, [...(perInstance.get(r.instanceId) ?? []), r]);
    expect([...perInstance.keys()].sort()).toEqual(['r1-a', 'r1-b', 'r1-c']);
    for (const [instance, runs] of perInstance) {
      const { duplicates, gaps } = slotStats(runs);
      report(`reaper slots on ${instance}`, `${runs.length} runs, ${duplicates} duplicates, ${gaps.length} gaps`);
      expect(duplicates).toBe(0);
      expect(gaps).toEqual([]);
    }
  });

  it('paused on one instance: no scheduled run anywhere, also across a restart of every instance', async () => {
    const [a] = cluster.instances;
    if (!a) throw new Error('no instance');
    const pause = await cluster.api(a, '/automations/alert-evaluation/pause', { method: 'POST', body: { reason: 'reliability' } });
    expect(pause.status).toBe(200);
    const pausedAt = Date.now();
    const window = Math.max(5, Math.round(SLOTS / 2));
    await sleep(window * 500);
    for (const p of [...cluster.instances]) await p.stop('SIGTERM');
    cluster.instances.length = 0;
    await Promise.all(['r1-a', 'r1-b', 'r1-c'].map((id) => cluster.start(id)));
    await sleep(window * 500);
    const after = scheduled(await cluster.shared.c.runs.history('alert-evaluation', 200)).filter((r) => r.startedAt > pausedAt + 1000);
    report('pause across restarts', `${window} slots paused around a restart of all 3 instances: ${after.length} scheduled runs`);
    expect(after).toEqual([]);
    const view = await cluster.api(cluster.instances[0] ?? a, '/automations/alert-evaluation');
    expect((view.body.automation as { state: string }).state).toBe('paused');
    // the other automations kept running through the restart
    const poll = scheduled(await cluster.shared.c.runs.history('inference-monitoring-poll', 50)).filter((r) => r.startedAt > pausedAt + 1000);
    expect(poll.length).toBeGreaterThan(0);
  });
});

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
