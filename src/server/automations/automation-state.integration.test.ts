import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestContainer, testContainer } from '../testing/container';
import { tokenCaller } from '../auth/caller';
import { testToken } from '../testing/callers';

/** The derived states that depend on other instances, seen through the service on a real database. */
describe('automation state across instances', () => {
  let t: TestContainer;
  beforeEach(async () => {
    // This instance serves only; schedulers are other rows in the instances table.
    t = await testContainer('sqlite-local', { SCHEDULER: 'off' });
  });
  afterEach(async () => {
    await t.close();
  });

  async function addInstance(id: string, scheduler: boolean, startedAgoMs: number, heartbeatAgoMs: number, stopped = false) {
    const now = Date.now();
    await t.c.database.db
      .insertInto('instances')
      .values({
        id,
        version: 'test',
        started_at: now - startedAgoMs,
        heartbeat_at: now - heartbeatAgoMs,
        stopped_at: stopped ? now : null,
        lock_provider: 'local',
        scheduler: scheduler ? 1 : 0,
        stats: '{}',
      })
      .execute();
    t.c.automations.invalidate();
  }

  it('refuses run, pause and resume to a tenant-restricted caller, whatever the transport, and changes nothing', async () => {
    const restricted = tokenCaller({ name: 'tenant-bot', tenantId: 'tenant-1', scopes: new Set(['automations:write']) });
    const forbidden = { code: 'FORBIDDEN', message: 'A token restricted to one tenant cannot control automations, which act on every tenant' };
    await expect(t.c.automations.run(restricted, 'alert-evaluation')).rejects.toMatchObject(forbidden);
    await expect(t.c.automations.pause(restricted, 'alert-evaluation')).rejects.toMatchObject(forbidden);
    await expect(t.c.automations.resume(restricted, 'alert-evaluation')).rejects.toMatchObject(forbidden);
    expect((await t.c.automations.get(restricted, 'alert-evaluation')).state).not.toBe('paused');
    expect((await t.c.automations.runs(testToken(), 'alert-evaluation', { limit: 10 })).runs).toHaveLength(0);
  });

  it('is idle when no instance schedules, and active once a live scheduler exists', async () => {
    expect((await t.c.automations.get(testToken(), 'alert-evaluation')).state).toBe('idle');
    expect((await t.c.automations.get(testToken(), 'alert-evaluation')).nextRunAt).toBeNull();
    await addInstance('scheduler-1', true, 1_000, 0);
    const view = await t.c.automations.get(testToken(), 'alert-evaluation');
    expect(view.state).toBe('active');
    expect(view.nextRunAt).not.toBeNull();
  });

  it('is degraded and overdue when a live scheduler has not started a slot it owes', async () => {
    await addInstance('scheduler-1', true, 5 * 60_000, 0);
    const view = await t.c.automations.get(testToken(), 'alert-evaluation');
    expect(view.state).toBe('degraded');
    expect(view.lastError).toMatch(/^Overdue: the run scheduled for .* has not started$/);
    // a paused automation owes nothing
    await t.c.automations.pause(testToken(), 'alert-evaluation');
    expect((await t.c.automations.get(testToken(), 'alert-evaluation')).state).toBe('paused');
  });

  it('is degraded when the only scheduler stopped beating without stopping, idle when it stopped gracefully', async () => {
    await addInstance('frozen', true, 10 * 60_000, 30_000);
    const view = await t.c.automations.get(testToken(), 'inference-monitoring-poll');
    expect(view.state).toBe('degraded');
    expect(view.lastError).toContain('no live instance runs the scheduler; frozen stopped beating');
    // manual-only automations are never overdue
    expect((await t.c.automations.get(testToken(), 'browser-session-reconciliation')).state).toBe('idle');
    await t.c.database.db.updateTable('instances').set({ stopped_at: Date.now() }).where('id', '=', 'frozen').execute();
    t.c.automations.invalidate();
    expect((await t.c.automations.get(testToken(), 'inference-monitoring-poll')).state).toBe('idle');
  });
});
