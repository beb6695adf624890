import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCOPES } from '../auth/auth.schemas';
import { type RestResult, restClient } from '../testing/clients';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { createContainer } from '../container';
import { tempDir, uniqueId } from '../testing/services';
import { testCaller, testToken } from '../testing/callers';

const SPEC_FIELDS = [
  'key',
  'name',
  'description',
  'domain',
  'cadenceLabel',
  'distributed',
  'metrics',
  'state',
  'supportsPause',
  'supportsTrigger',
  'lastStartedAt',
  'lastCompletedAt',
  'lastDurationMs',
  'lastError',
];
const SPEC_METRICS: Record<string, string[]> = {
  'alert-evaluation': ['firedCount', 'lockProvider', 'pendingAsyncTasks', 'processedTenants'],
  'inference-monitoring-poll': ['dueServers', 'lockProvider', 'processedTenants'],
  'browser-session-reaper': ['browserConnected', 'liveSessions', 'shuttingDown'],
  'browser-session-reconciliation': ['pendingAsyncTasks', 'sessionsReconciled', 'tenantsScanned'],
};

type View = Record<string, unknown> & { metrics: Record<string, unknown> };
const automationOf = (r: RestResult) => r.body.automation as View;

describe.each(TOPOLOGIES)('REST client API on %s', (topology, available) => {
  let t: TestContainer;
  let call: ReturnType<typeof restClient>;
  let token: string;

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    t = await testContainer(topology);
    token = (await t.c.tokens.create(testCaller('test'), { name: 'all', scopes: [...SCOPES] })).token;
    call = restClient(t.c, token);
  });
  afterEach(async () => {
    await t?.close();
  });

  it('lists the four automations in the spec order with the spec fields, types and metric keys', async () => {
    const res = await call('GET', '/api/client/v1/automations');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const list = res.body.automations as View[];
    expect(list.map((a) => a.key)).toEqual(['browser-session-reaper', 'browser-session-reconciliation', 'inference-monitoring-poll', 'alert-evaluation']);
    expect(list.map((a) => a.name)).toEqual(['Browser Session Reaper', 'Browser Session Reconciliation', 'Inference Poll Scheduler', 'Alert Evaluation']);
    for (const a of list) {
      for (const field of SPEC_FIELDS) expect(a, `${a.key}.${field}`).toHaveProperty(field);
      expect(Object.keys(a.metrics).sort()).toEqual([...(SPEC_METRICS[a.key as string] ?? [])].sort());
      expect(['active', 'degraded', 'idle', 'paused', 'running']).toContain(a.state);
      expect(typeof a.distributed).toBe('boolean');
    }
    const reconciliation = list[1] as View;
    expect(reconciliation).toMatchObject({
      supportsPause: false,
      supportsTrigger: true,
      cadenceLabel: 'Manual maintenance',
      domain: 'browser',
      schedule: null,
      nextRunAt: null,
    });
    const alerts = list[3] as View;
    expect(alerts).toMatchObject({ supportsPause: true, cadenceLabel: 'Every 30s', domain: 'alerts', schedule: '*/30 * * * * *' });
    expect(alerts.metrics.lockProvider).toBe(topology === 'sqlite-local' ? 'local' : 'redis');
    expect(alerts.distributed).toBe(topology !== 'sqlite-local');
    // the reaper acts on each instance's own runtime, so it is never distributed
    expect((list[0] as View).distributed).toBe(false);
  });

  it('gets one automation; unknown well-formed key is 404, malformed key is 400', async () => {
    const ok = await call('GET', '/api/client/v1/automations/alert-evaluation');
    expect(ok.status).toBe(200);
    expect(automationOf(ok).key).toBe('alert-evaluation');
    const missing = await call('GET', '/api/client/v1/automations/no-such-automation');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'NOT_FOUND' });
    for (const bad of ['Bad_Key', 'a--b', '-lead', 'x'.repeat(65), 'key%20space', 'dot.key']) {
      const res = await call('GET', `/api/client/v1/automations/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error).toBe('Invalid automation key');
    }
  });

  it('refuses missing, malformed, unknown, revoked and expired tokens with 401 and WWW-Authenticate', async () => {
    const revoked = await t.c.tokens.create(testCaller('test'), { name: 'soon-revoked', scopes: ['automations:read'] });
    await t.c.tokens.revoke(testCaller('test'), 'soon-revoked');
    const cases: Array<[string | null, string]> = [
      [null, 'Missing API token'],
      ['not-a-token', 'Invalid API token'],
      [`cpeer_${'A'.repeat(38)}`, 'Invalid API token'],
      [revoked.token, 'API token has been revoked'],
    ];
    for (const [candidate, message] of cases) {
      const res = await restClient(t.c, candidate)('GET', '/api/client/v1/automations');
      expect(res.status, String(candidate)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(String(res.body.error)).toContain(message);
    }
    const cookieOnly = await restClient(t.c, null)('GET', '/api/client/v1/automations', { headers: { cookie: 'ac_session=whatever' } });
    expect(cookieOnly.status).toBe(401);
  });

  it('answers 403 when the token lacks the scope', async () => {
    const readOnly = (await t.c.tokens.create(testCaller('test'), { name: 'reader', scopes: ['automations:read'] })).token;
    const reader = restClient(t.c, readOnly);
    expect((await reader('GET', '/api/client/v1/automations')).status).toBe(200);
    for (const action of ['run', 'pause', 'resume']) {
      const res = await reader('POST', `/api/client/v1/automations/alert-evaluation/${action}`);
      expect(res.status, action).toBe(403);
      expect(res.body.error).toBe('This token lacks the scope automations:write');
    }
  });

  it('a token restricted to one tenant may read automations but not control them (403)', async () => {
    const tenant = await t.c.tenants.service.create(testToken(), { name: 'Acme', slug: 'acme' });
    const { token: restricted } = await t.c.tokens.create(testCaller('test'), {
      name: 'acme-only',
      scopes: ['automations:read', 'automations:write'],
      tenantId: tenant.id,
    });
    const acme = restClient(t.c, restricted);
    expect((await acme('GET', '/api/client/v1/automations')).status).toBe(200);
    for (const action of ['run', 'pause', 'resume']) {
      const res = await acme('POST', `/api/client/v1/automations/alert-evaluation/${action}`);
      expect(res.status, action).toBe(403);
      expect(String(res.body.error)).toContain('restricted to one tenant');
    }
  });

  it('runs now: answers after the run with fresh timestamps and records the run', async () => {
    const before = Date.now();
    const res = await call('POST', '/api/client/v1/automations/inference-monitoring-poll/run');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const a = automationOf(res);
    expect(Date.parse(a.lastStartedAt as string)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(a.lastCompletedAt as string)).toBeGreaterThanOrEqual(Date.parse(a.lastStartedAt as string));
    expect(a.lastDurationMs).toBe(Date.parse(a.lastCompletedAt as string) - Date.parse(a.lastStartedAt as string));
    expect(a.lastError).toBeNull();
    expect(a.metrics).toEqual({ dueServers: 0, lockProvider: topology === 'sqlite-local' ? 'local' : 'redis', processedTenants: 0 });
    expect(a.lastRun).toMatchObject({ trigger: 'api', outcome: 'succeeded' });

    const history = await call('GET', '/api/client/v1/automations/inference-monitoring-poll/runs?limit=5');
    expect(history.status).toBe(200);
    const runs = history.body.runs as Array<Record<string, unknown>>;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'api', actor: 'token:all', outcome: 'succeeded', instanceId: t.c.config.instanceId });
    expect(history.body.nextCursor).toBeNull();
  });

  it('pages run history with a cursor, newest first', async () => {
    for (let i = 0; i < 3; i++) await call('POST', '/api/client/v1/automations/alert-evaluation/run');
    const first = await call('GET', '/api/client/v1/automations/alert-evaluation/runs?limit=2');
    const firstRuns = first.body.runs as Array<{ id: string; startedAt: string }>;
    expect(firstRuns).toHaveLength(2);
    expect(Date.parse(firstRuns[0]?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(firstRuns[1]?.startedAt ?? ''));
    const second = await call('GET', `/api/client/v1/automations/alert-evaluation/runs?limit=2&cursor=${first.body.nextCursor as string}`);
    const secondRuns = second.body.runs as Array<{ id: string }>;
    expect(secondRuns).toHaveLength(1);
    expect(new Set([...firstRuns, ...secondRuns].map((r) => r.id)).size).toBe(3);
    expect((await call('GET', '/api/client/v1/automations/alert-evaluation/runs?limit=0')).status).toBe(400);
    expect((await call('GET', '/api/client/v1/automations/alert-evaluation/runs?cursor=zzz')).status).toBe(400);
  });

  it('pauses with who, when and why; is idempotent; resumes; refuses unsupported automations with 500', async () => {
    const paused = await call('POST', '/api/client/v1/automations/alert-evaluation/pause', { body: JSON.stringify({ reason: 'maintenance window' }) });
    expect(paused.status).toBe(200);
    expect(automationOf(paused)).toMatchObject({ state: 'paused', pausedBy: 'token:all', pauseReason: 'maintenance window', nextRunAt: null });
    const pausedAt = automationOf(paused).pausedAt;
    const again = await call('POST', '/api/client/v1/automations/alert-evaluation/pause');
    expect(again.status).toBe(200);
    expect(automationOf(again)).toMatchObject({ state: 'paused', pausedAt, pauseReason: 'maintenance window' });

    const resumed = await call('POST', '/api/client/v1/automations/alert-evaluation/resume');
    expect(resumed.status).toBe(200);
    expect(automationOf(resumed).state).not.toBe('paused');
    expect(automationOf(resumed).pausedAt).toBeNull();
    expect((await call('POST', '/api/client/v1/automations/alert-evaluation/resume')).status).toBe(200);

    for (const action of ['pause', 'resume']) {
      const res = await call('POST', `/api/client/v1/automations/browser-session-reconciliation/${action}`);
      expect(res.status, action).toBe(500);
      expect(res.body.error).toContain('does not support pause/resume');
    }
    const audit = await t.c.audit.list({ limit: 10, target: 'alert-evaluation' });
    expect(audit.map((e) => e.action)).toEqual(['automation.resume', 'automation.resume', 'automation.pause', 'automation.pause']);
  });

  it('validates the optional pause body and key on actions', async () => {
    const cases: Array<[string, string]> = [
      ['{bad json', 'not valid JSON'],
      ['{"reason": 5}', 'reason'],
      ['{"until": "tomorrow"}', 'until'],
      ['{"until": "2001-01-01T00:00:00Z"}', 'must be in the future'],
      ['{"unexpected": true}', 'unexpected'],
      [JSON.stringify({ reason: 'x'.repeat(20_000) }), 'larger than'],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '/api/client/v1/automations/alert-evaluation/pause', { body });
      expect(res.status, body.slice(0, 40)).toBe(400);
      expect(String(res.body.error)).toContain(message);
    }
    expect((await call('GET', '/api/client/v1/automations/alert-evaluation')).body.automation).toMatchObject({ state: expect.not.stringMatching('paused') });
    for (const action of ['run', 'pause', 'resume']) {
      expect((await call('POST', `/api/client/v1/automations/unknown-one/${action}`)).status, action).toBe(400);
      expect((await call('POST', `/api/client/v1/automations/UPPER/${action}`)).status, action).toBe(400);
    }
  });

  it('keeps the pause across a restart', async () => {
    await call('POST', '/api/client/v1/automations/inference-monitoring-poll/pause', { body: '{"reason":"restart test"}' });
    await t.c.database.close();
    const restarted = await testContainer(topology, {}, t.env);
    try {
      const res = await restClient(restarted.c, token)('GET', '/api/client/v1/automations/inference-monitoring-poll');
      expect(automationOf(res)).toMatchObject({ state: 'paused', pauseReason: 'restart test' });
    } finally {
      await restarted.close();
    }
    t = await testContainer(topology, {}, t.env); // afterEach closes this one
  });

  it('a run that throws answers 500 with the message, and the view shows it', async () => {
    t.c.browser.port.reconcile = async () => {
      throw new Error('runtime exploded');
    };
    const res = await call('POST', '/api/client/v1/automations/browser-session-reconciliation/run');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: 'runtime exploded', code: 'RUN_FAILED' });
    expect(automationOf(res)).toMatchObject({ state: 'degraded', lastError: 'runtime exploded', consecutiveFailures: 1 });
  });

  it('never starts a second concurrent run: the second request gets the running state at once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    t.c.browser.port.reconcile = async () => {
      calls++;
      await gate;
      return { sessionsReconciled: 0, tenantsScanned: 0 };
    };
    const first = call('POST', '/api/client/v1/automations/browser-session-reconciliation/run');
    await expect.poll(() => calls).toBe(1);
    const second = await call('POST', '/api/client/v1/automations/browser-session-reconciliation/run');
    expect(second.status).toBe(200);
    expect(automationOf(second).state).toBe('running');
    release();
    const done = await first;
    expect(done.status).toBe(200);
    expect(automationOf(done).state).not.toBe('running');
    expect(calls).toBe(1);
  });
});

describe('REST rate limit and lock store outage', () => {
  it('answers 429 with Retry-After once a token exceeds its rate', async () => {
    const t = await testContainer('sqlite-local', { API_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const { token } = await t.c.tokens.create(testCaller('test'), { name: 'limited', scopes: ['automations:read'] });
      const call = restClient(t.c, token);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await call('GET', '/api/client/v1/automations')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await call('GET', '/api/client/v1/automations');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('answers 503 with Retry-After for run-now while the lock store is unreachable; reads keep working and say degraded', async () => {
    const dir = tempDir('redis-down');
    const c = await createContainer({ LOG_LEVEL: 'silent', DATA_DIR: dir.dir, REDIS_URL: 'redis://127.0.0.1:1', INSTANCE_ID: uniqueId('down') });
    try {
      await c.instances.register({});
      const { token } = await c.tokens.create(testCaller('test'), { name: 'ops', scopes: ['automations:read', 'automations:write'] });
      const call = restClient(c, token);
      const run = await call('POST', '/api/client/v1/automations/alert-evaluation/run');
      expect(run.status).toBe(503);
      expect(run.body.code).toBe('LOCK_STORE_UNAVAILABLE');
      expect(Number(run.headers.get('retry-after'))).toBeGreaterThan(0);
      const view = await call('GET', '/api/client/v1/automations/alert-evaluation');
      expect(view.status).toBe(200);
      expect(automationOf(view).state).toBe('degraded');
      expect(String(automationOf(view).lastError)).toMatch(/Lock store \(Redis\) unavailable/);
    } finally {
      c.redis?.commands.disconnect();
      c.redis?.subscriber.disconnect();
      await c.database.close();
      dir.cleanup();
    }
  });
});
