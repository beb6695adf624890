import { chromium } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleProcess, ensureBuild, startConsole } from './testing/console-process';
import { type TestContainer, testContainer } from './testing/container';
import { postgresAvailable, redisAvailable } from './testing/services';
import { testCaller } from './testing/callers';

const ready = postgresAvailable && redisAvailable;

/**
 * Two real consoles (`next start`) on one PostgreSQL schema and one Redis prefix, with alert-evaluation on a
 * one-second schedule: the "scaled out" promises, checked end to end over HTTP.
 */
describe.skipIf(!ready)('two console processes behind one PostgreSQL and Redis', () => {
  let shared: TestContainer;
  let a: ConsoleProcess;
  let b: ConsoleProcess;
  let token: string;

  beforeAll(async () => {
    ensureBuild();
    shared = await testContainer('postgres-redis');
    token = (await shared.c.tokens.create(testCaller('test'), { name: 'process-test', scopes: ['automations:read', 'automations:write'] })).token;
    const env = { ...shared.env, AUTOMATION_SCHEDULE_ALERT_EVALUATION: '* * * * * *', CONSOLE_ADMIN_PASSWORD: 'process-test-password' };
    [a, b] = await Promise.all([startConsole({ ...env, INSTANCE_ID: 'proc-a' }), startConsole({ ...env, INSTANCE_ID: 'proc-b' })]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await shared?.close();
  });

  const api = (p: ConsoleProcess, path: string, method = 'GET') =>
    fetch(`${p.url}/api/client/v1${path}`, { method, headers: { authorization: `Bearer ${token}` } });

  it('runs each one-second slot exactly once across both instances, then a pause on one stops both', async () => {
    // let a few seconds of slots go by
    await expect
      .poll(async () => (await shared.c.runs.history('alert-evaluation', 200)).filter((r) => r.trigger === 'schedule').length, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(6);

    const pausedAt = Date.now();
    const pause = await api(a, '/automations/alert-evaluation/pause', 'POST');
    expect(pause.status).toBe(200);
    let seenOnB = 0;
    await expect
      .poll(
        async () => {
          const view = (await (await api(b, '/automations/alert-evaluation')).json()) as { automation: { state: string } };
          seenOnB = Date.now() - pausedAt;
          return view.automation.state;
        },
        { timeout: 5_000, interval: 20 },
      )
      .toBe('paused');
    console.log(`pause made on instance A visible on instance B after ${seenOnB} ms`);

    // wait out one more slot, which must not run
    await new Promise((r) => setTimeout(r, 2_500));
    const runs = (await shared.c.runs.history('alert-evaluation', 500)).filter((r) => r.trigger === 'schedule');
    const slots = runs.map((r) => Date.parse(r.slot ?? ''));
    expect(new Set(slots).size, 'one run per slot').toBe(runs.length);
    const sorted = [...slots].sort((x, y) => x - y);
    const first = sorted[0] ?? 0;
    const last = sorted[sorted.length - 1] ?? 0;
    expect(sorted.length, 'no gaps between the first and last slot').toBe((last - first) / 1000 + 1);
    expect(runs.every((r) => r.outcome === 'succeeded')).toBe(true);
    // Only the two consoles schedule (the test's own container never starts a scheduler).
    expect([...new Set(runs.map((r) => r.instanceId))].every((id) => id === 'proc-a' || id === 'proc-b')).toBe(true);
    // nothing scheduled after the pause took effect (a slot in flight at that moment may finish)
    expect(runs.filter((r) => r.startedAt > pausedAt + 1_000)).toEqual([]);
  });

  it('a REST pause on instance A reaches a board open on instance B without reload', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${b.url}/login`);
      await page.getByLabel('Email').fill('admin@console.local');
      await page.getByLabel('Password').fill('process-test-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const badge = page.getByTestId('card-inference-monitoring-poll').getByTestId('state-badge');
      await badge.waitFor();
      await page.getByText('● Live').waitFor();
      expect(await badge.getAttribute('data-state')).not.toBe('paused');

      const pause = await api(a, '/automations/inference-monitoring-poll/pause', 'POST');
      const answeredAt = Date.now();
      expect(pause.status).toBe(200);
      await page.waitForSelector('[data-testid="card-inference-monitoring-poll"] [data-state="paused"]', { timeout: 10_000 });
      console.log(`REST pause on instance A shown on instance B's open board ${Date.now() - answeredAt} ms after A answered`);
      await api(a, '/automations/inference-monitoring-poll/resume', 'POST');
      await page.waitForSelector('[data-testid="card-inference-monitoring-poll"] [data-state]:not([data-state="paused"])', { timeout: 10_000 });
    } finally {
      await browser.close();
    }
  });

  it('stops gracefully on SIGTERM: exit code 0 and the instance deregistered', async () => {
    const code = await b.stop('SIGTERM');
    expect(code, b.output()).toBe(0);
    const live = await shared.c.instances.live();
    expect(live.map((i) => i.id)).not.toContain('proc-b');
    expect(live.map((i) => i.id)).toContain('proc-a');
  });
});
