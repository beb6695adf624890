import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricsRoute } from './metrics.routes';
import { restClient } from '../testing/clients';
import { type TestContainer, testContainer } from '../testing/container';
import { testCaller } from '../testing/callers';

// Debian's `prometheus` package ships promtool; CI installs it. Locally, without it, the check is skipped.
const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
const available = fs.existsSync(PROMTOOL);
if (!available && process.env.CI === 'true') throw new Error(`promtool not found at ${PROMTOOL}: install Debian's prometheus package`);

describe.skipIf(!available)('the /metrics exposition passes promtool', () => {
  let t: TestContainer;
  beforeEach(async () => {
    t = await testContainer('sqlite-local');
  });
  afterEach(async () => {
    await t.close();
  });

  it('`promtool check metrics` exits 0 on a real scrape with every series populated', async () => {
    const { token } = await t.c.tokens.create(testCaller('test'), { name: 'ops', scopes: ['automations:read', 'automations:write', 'metrics:read'] });
    const call = restClient(t.c, token);
    // Populate the labelled series: a run, API requests with several statuses.
    await call('POST', '/api/client/v1/automations/alert-evaluation/run');
    await call('GET', '/api/client/v1/automations/nope');
    const res = await metricsRoute(async () => t.c)(new Request('http://console.test/metrics', { headers: { authorization: `Bearer ${token}` } }), {
      params: Promise.resolve({}),
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('console_automation_runs_total');
    expect(body).toMatch(/^console_nodejs_active_handles\{/m);
    expect(body).not.toMatch(/^console_nodejs_active_\w+_total/m);
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });
});
