import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { insertTenant } from '../testing/alerts';
import { recordingRunContext } from '../testing/run-context';
import type { BrowserSessionTable } from '../db/tables/browser.tables';

const MINUTE = 60_000;

/**
 * What the reaper and reconciliation tell their run's log, on rows written directly (no browser is launched: the
 * runtime holds no session, which is exactly the case both automations are for).
 */
describe.each(TOPOLOGIES)('the browser automations’ run log on %s', (topology, available) => {
  let t: TestContainer;
  let tenant: string;

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    t = await testContainer(topology);
    tenant = await insertTenant(t.c.database.db);
  });
  afterEach(async () => {
    await t?.close();
  });

  async function session(values: Partial<BrowserSessionTable>): Promise<string> {
    const now = Date.now();
    const id = randomUUID();
    await t.c.database.db
      .insertInto('browser_sessions')
      .values({
        id,
        tenant_id: tenant,
        owner_instance_id: t.c.config.instanceId,
        status: 'ready',
        start_url: 'https://example.test/',
        reach: 'platform',
        current_url: null,
        title: null,
        created_at: now,
        last_activity_at: now,
        idle_timeout_ms: 10 * MINUTE,
        max_lifetime_ms: 60 * MINUTE,
        closed_at: null,
        close_reason: null,
        error: null,
        blocked_requests: 0,
        thumbnail: null,
        thumbnail_at: null,
        ...values,
      })
      .execute();
    return id;
  }

  it('the reaper logs each session it closed and why, and counts the sessions it looked at', async () => {
    const now = Date.now();
    const idle = await session({ last_activity_at: now - 11 * MINUTE });
    const old = await session({ created_at: now - 61 * MINUTE, last_activity_at: now });
    await session({}); // fresh: left alone
    const ctx = recordingRunContext();
    expect(await t.c.browser.port.reap(ctx)).toEqual({ closed: 2 });
    const closed = ctx.lines.map((l) => [l.level, l.fields?.sessionId, l.fields?.reason, l.fields?.tenantId]);
    expect(closed.sort()).toEqual(
      [
        ['info', idle, 'idle-timeout', tenant],
        ['info', old, 'max-lifetime', tenant],
      ].sort(),
    );
    expect(ctx.lines.find((l) => l.fields?.sessionId === idle)?.message).toBe(`Closed session ${idle}: idle past its timeout`);
    expect(ctx.reports.at(-1)).toEqual({ done: 3, total: 3, unit: 'sessions' });
  });

  it('reconciliation logs each orphan it marked and counts tenants', async () => {
    const second = await insertTenant(t.c.database.db, 'Beta');
    const lost = await session({}); // owned here, but the runtime does not hold it
    const lapsed = await session({ tenant_id: second, owner_instance_id: 'gone-instance' });
    const ctx = recordingRunContext();
    expect(await t.c.browser.port.reconcile(ctx)).toEqual({ sessionsReconciled: 2, tenantsScanned: 2 });
    expect(ctx.lines.map((l) => l.message)).toEqual([
      `Marked session ${lost} orphaned: this instance owns it but its runtime does not hold it`,
      `Marked session ${lapsed} orphaned: its owner gone-instance stopped beating`,
    ]);
    expect(ctx.lines[1]?.fields).toMatchObject({ reason: 'owner-lapsed', owner: 'gone-instance', tenantId: second });
    expect(ctx.reports).toEqual([
      { done: 0, total: 2, unit: 'tenants' },
      { done: 1, total: 2, unit: 'tenants' },
      { done: 2, total: 2, unit: 'tenants' },
    ]);
    // A second run changes nothing and logs nothing.
    const again = recordingRunContext();
    expect(await t.c.browser.port.reconcile(again)).toEqual({ sessionsReconciled: 0, tenantsScanned: 0 });
    expect(again.lines).toEqual([]);
  });
});
