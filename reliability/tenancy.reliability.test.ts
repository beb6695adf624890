import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_HEADERS, verifyWebhook } from '../src/server/alerts/webhook-signature';
import { SCOPES, type Scope } from '../src/shared/scopes';
import type { ConsoleProcess } from '../src/server/testing/console-process';
import { type Cluster, report, sleep, startCluster, waitFor } from './cluster';
import { testCaller, testOperator } from '../src/server/testing/callers';

/**
 * Tenancy (issue 13, items 3 and 6): quotas per tenant, paged lists, webhook secrets at rest and their rotation,
 * what a tenant-restricted token may see of operators. One real console on PostgreSQL + Redis, scheduler off so
 * every run is the test's own.
 */

// The loopback page, webhook receiver and fake servers below are the test's own listeners; tenant tokens reach them
// only because the lists name loopback for tenants too (a default install refuses them: outbound.reliability.test.ts).
const ENV = {
  SCHEDULER: 'off',
  OUTBOUND_ALLOW_POLL: '127.0.0.1',
  OUTBOUND_ALLOW_WEBHOOK: '127.0.0.1',
  OUTBOUND_ALLOW_BROWSER: '127.0.0.1',
  OUTBOUND_TENANT_ALLOW_POLL: '127.0.0.1',
  OUTBOUND_TENANT_ALLOW_WEBHOOK: '127.0.0.1',
  OUTBOUND_TENANT_ALLOW_BROWSER: '127.0.0.1',
  CONSOLE_SECRET: 'tenancy-battery-secret-0123456789-0123456789',
  BROWSER_MAX_SESSIONS: '3',
  TENANT_MAX_BROWSER_SESSIONS: '3',
  TENANT_MAX_INFERENCE_SERVERS: '1000',
  TENANT_MAX_ALERT_RULES: '3',
  TENANT_MAX_NOTIFICATION_CHANNELS: '4',
  TENANT_MIN_POLL_INTERVAL_SECONDS: '30',
  ALERTS_DELIVERY_POLL_MS: '100',
};

/** Every scope of the client API but metrics:read. */
const ALL_SCOPES: Scope[] = SCOPES.filter((scope) => scope !== 'metrics:read');

interface Received {
  body: string;
  signature: string;
  timestamp: string;
  at: number;
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { server, url: `http://127.0.0.1:${address.port}` };
}

describe('tenancy: quotas, pages, secrets and what tenants see', () => {
  let cluster: Cluster;
  let a: ConsoleProcess;
  let platform: string;
  let page: { server: http.Server; url: string };
  const received: Received[] = [];
  let receiver: { server: http.Server; url: string };

  const db = () => cluster.shared.c.database.db;
  const tenantToken = async (tenantId: string, scopes: Scope[] = ALL_SCOPES) =>
    (await cluster.shared.c.tokens.create(testCaller('test'), { name: `tenant-${randomUUID().slice(0, 8)}`, scopes, tenantId })).token;
  const newTenant = async (slug: string) => {
    const res = await cluster.api(a, '/tenants', { method: 'POST', body: { name: slug, slug }, token: platform });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return (res.body.tenant as { id: string }).id;
  };
  const seedServers = async (tenantId: string, count: number, prefix: string) => {
    const now = Date.now();
    for (let i = 0; i < count; i += 500) {
      const rows = Array.from({ length: Math.min(500, count - i) }, (_, j) => ({
        id: randomUUID(),
        tenant_id: tenantId,
        name: `${prefix}-${String(i + j).padStart(5, '0')}`,
        kind: 'vllm' as const,
        base_url: 'http://127.0.0.1:9',
        reach: 'tenant' as const,
        api_key_enc: null,
        poll_interval_s: 30,
        enabled: 0,
        status: 'disabled' as const,
        last_polled_at: null,
        last_latency_ms: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      }));
      await db().insertInto('inference_servers').values(rows).execute();
    }
  };

  beforeAll(async () => {
    page = await listen((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>tenancy</title><p>hello</p>'));
    receiver = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: String(req.headers[WEBHOOK_HEADERS.signature] ?? ''),
          timestamp: String(req.headers[WEBHOOK_HEADERS.timestamp] ?? ''),
          at: Date.now(),
        });
        res.writeHead(200).end('ok');
      });
    });
    cluster = await startCluster({ ids: ['t1'], env: ENV });
    const first = cluster.instances[0];
    if (!first) throw new Error('no instance');
    a = first;
    platform = (await cluster.shared.c.tokens.create(testCaller('test'), { name: 'tenancy-platform', scopes: ALL_SCOPES })).token;
  });

  afterAll(async () => {
    await cluster?.stop();
    page?.server.close();
    receiver?.server.close();
  });

  it('a tenant at its browser-session quota does not keep another tenant from opening one', async () => {
    const [t1, t2] = [await newTenant('sessions-a'), await newTenant('sessions-b')];
    const [tokenA, tokenB] = [await tenantToken(t1), await tenantToken(t2)];
    const open = (token: string, tenantId: string) => cluster.api(a, '/browser/sessions', { method: 'POST', body: { tenantId, url: `${page.url}/` }, token });
    // BROWSER_MAX_SESSIONS=3: a tenant's quota is at most 2 (one less), so a slot is always left for others.
    const first = [await open(tokenA, t1), await open(tokenA, t1)];
    expect(first.map((r) => r.status)).toEqual([201, 201]);
    const third = await open(tokenA, t1);
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(String(third.body.error)).toContain('TENANT_MAX_BROWSER_SESSIONS');
    const other = await open(tokenB, t2);
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    report('browser quota', `tenant A: 201, 201, then ${third.status} ${String(third.body.code)}; tenant B meanwhile: ${other.status} (instance cap 3)`);
    for (const r of [...first, other]) {
      const id = (r.body.session as { id: string }).id;
      await cluster.api(a, `/browser/sessions/${id}`, { method: 'DELETE', token: platform });
    }
  });

  it('quotas of servers, rules and channels answer 409 QUOTA_EXCEEDED naming the variable; concurrent creates never overshoot', async () => {
    const tenantId = await newTenant('quota-servers');
    await seedServers(tenantId, 990, 'seeded');
    const token = await tenantToken(tenantId);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        cluster.api(a, '/inference-servers', {
          method: 'POST',
          body: { tenantId, name: `race-${i}`, kind: 'vllm', baseUrl: 'http://127.0.0.1:9', enabled: false },
          token,
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(10);
    const refused = results.find((r) => r.status === 409);
    expect(refused?.body).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(String(refused?.body.error)).toContain('TENANT_MAX_INFERENCE_SERVERS');
    const { n } = await db()
      .selectFrom('inference_servers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(1000);
    report(
      'server quota',
      `20 concurrent creates at 990/1000: ${statuses.filter((s) => s === 201).length} × 201, ${statuses.filter((s) => s === 409).length} × 409; stored ${n}`,
    );

    const rulesTenant = await newTenant('quota-rules');
    const rulesToken = await tenantToken(rulesTenant);
    const rule = (i: number, channels: unknown[] = []) => ({ tenantId: rulesTenant, name: `rule-${i}`, metric: 'up', operator: '<', threshold: 1, channels });
    const slack = (i: number) => ({ type: 'slack', url: `https://hooks.slack.com/services/T0000${i}/B0000${i}/secretpart${i}` });
    const tooManyChannels = await cluster.api(a, '/alert-rules', {
      method: 'POST',
      body: rule(0, [slack(1), slack(2), slack(3), slack(4), slack(5)]),
      token: rulesToken,
    });
    expect(tooManyChannels.status).toBe(409);
    expect(String(tooManyChannels.body.error)).toContain('TENANT_MAX_NOTIFICATION_CHANNELS');
    const made = [];
    for (let i = 1; i <= 3; i++)
      made.push((await cluster.api(a, '/alert-rules', { method: 'POST', body: rule(i, i === 1 ? [slack(1), slack(2)] : []), token: rulesToken })).status);
    expect(made).toEqual([201, 201, 201]);
    const fourth = await cluster.api(a, '/alert-rules', { method: 'POST', body: rule(4), token: rulesToken });
    expect(fourth.status).toBe(409);
    expect(fourth.body).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(String(fourth.body.error)).toContain('TENANT_MAX_ALERT_RULES');
    report(
      'rule and channel quotas',
      `5 channels → ${tooManyChannels.status}; rules 1–3 → ${made.join(', ')}; rule 4 → ${fourth.status} ${String(fourth.body.code)}`,
    );

    // Slack URLs are credentials: masked in every answer, stored whole.
    const listed = await cluster.api(a, `/alert-rules?tenantId=${rulesTenant}`, { token: rulesToken });
    const urls = (listed.body.rules as Array<{ channels: Array<{ url: string }> }>).flatMap((r) => r.channels.map((c) => c.url));
    expect(urls).toEqual(['https://hooks.slack.com/services/T…/B…/****', 'https://hooks.slack.com/services/T…/B…/****']);
    expect(JSON.stringify(listed.body)).not.toContain('secretpart');
    const stored = await db().selectFrom('alert_channels').select('url').where('tenant_id', '=', rulesTenant).execute();
    expect(stored.map((s) => s.url).sort()).toEqual([slack(1).url, slack(2).url]);
  });

  it('a tenant token polls no more often than TENANT_MIN_POLL_INTERVAL_SECONDS; the platform keeps 10 s', async () => {
    const tenantId = await newTenant('poll-interval');
    const token = await tenantToken(tenantId);
    const body = (name: string, pollIntervalSeconds: number) => ({
      tenantId,
      name,
      kind: 'vllm',
      baseUrl: 'http://127.0.0.1:9',
      pollIntervalSeconds,
      enabled: false,
    });
    const fast = await cluster.api(a, '/inference-servers', { method: 'POST', body: body('fast', 10), token });
    expect(fast.status).toBe(400);
    expect(fast.body.issues).toEqual([{ path: 'pollIntervalSeconds', message: expect.stringContaining('TENANT_MIN_POLL_INTERVAL_SECONDS') }]);
    const ok = await cluster.api(a, '/inference-servers', { method: 'POST', body: body('steady', 30), token });
    expect(ok.status).toBe(201);
    const id = (ok.body.server as { id: string }).id;
    expect((await cluster.api(a, `/inference-servers/${id}`, { method: 'PATCH', body: { pollIntervalSeconds: 15 }, token })).status).toBe(400);
    expect((await cluster.api(a, '/inference-servers', { method: 'POST', body: body('platform-fast', 10), token: platform })).status).toBe(201);
    report('poll interval floor', `tenant 10 s → ${fast.status}, tenant 30 s → ${ok.status}, platform 10 s → 201`);
  });

  it('GET /inference-servers pages 2,000 servers with limit ≤ 500; the cursor walks each exactly once', async () => {
    const [p1, p2] = [await newTenant('paged-one'), await newTenant('paged-two')];
    await seedServers(p1, 1000, 'srv');
    await seedServers(p2, 1000, 'srv');
    const expected = new Set((await db().selectFrom('inference_servers').select('id').execute()).map((r) => r.id));
    const token = await tenantToken(p1); // a tenant token walks its own tenant only
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let firstPage = { bytes: 0, ms: 0 };
    const walkStarted = performance.now();
    do {
      const started = performance.now();
      const res = await fetch(`${a.url}/api/client/v1/inference-servers?limit=500${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${platform}` },
      });
      const text = await res.text();
      if (pages === 0) firstPage = { bytes: text.length, ms: performance.now() - started };
      expect(res.status, text.slice(0, 300)).toBe(200);
      const body = JSON.parse(text) as { servers: Array<{ id: string }>; nextCursor: string | null };
      expect(body.servers.length).toBeLessThanOrEqual(500);
      seen.push(...body.servers.map((s) => s.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 100);
    const walkMs = performance.now() - walkStarted;
    expect(seen.length).toBe(expected.size);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(expected);

    const mine = await cluster.api(a, '/inference-servers?limit=500', { token });
    expect((mine.body.servers as Array<{ tenantId: string }>).every((s) => s.tenantId === p1)).toBe(true);
    for (const bad of ['limit=501', 'limit=0', 'cursor=not-a-cursor', `cursor=${Buffer.from('["tenants","a","b"]').toString('base64url')}`]) {
      const res = await cluster.api(a, `/inference-servers?${bad}`, { token: platform });
      expect(res.status, bad).toBe(400);
      expect((res.body.issues as Array<{ path: string }>)[0]?.path, bad).toBe(bad.split('=')[0]);
    }

    // The former all-at-once answer, as the console still loads it (tRPC through the same service).
    const login = await fetch(`${a.url}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@console.local', password: 'reliability-password' }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    let whole = 'not measured (console sign-in failed)';
    if (login.ok && cookie) {
      const started = performance.now();
      const res = await fetch(`${a.url}/api/trpc/inference.list`, { headers: { cookie } });
      const text = await res.text();
      whole = `${(text.length / 1024).toFixed(0)} KiB in ${(performance.now() - started).toFixed(0)} ms (${res.status})`;
    }
    report(
      'paged servers',
      `${expected.size} servers in ${pages} pages of ≤ 500, each seen once; first page ${(firstPage.bytes / 1024).toFixed(0)} KiB in ${firstPage.ms.toFixed(0)} ms; whole walk ${walkMs.toFixed(0)} ms; all at once: ${whole}`,
    );
  });

  it('webhook secrets are not stored in clear; a rotation delivers both signatures during the overlap, then only the new one', async () => {
    const tenantId = await newTenant('rotation');
    const token = await tenantToken(tenantId);
    const serverId = randomUUID();
    await db()
      .insertInto('inference_servers')
      .values({
        id: serverId,
        tenant_id: tenantId,
        name: 'gpu',
        kind: 'vllm',
        base_url: 'http://127.0.0.1:9',
        reach: 'tenant' as const,
        api_key_enc: null,
        poll_interval_s: 30,
        enabled: 1,
        status: 'up',
        last_polled_at: null,
        last_latency_ms: null,
        last_error: null,
        created_at: Date.now(),
        updated_at: Date.now(),
      })
      .execute();
    const first = 'first-secret-of-the-receiver-0123';
    const created = await cluster.api(a, '/alert-rules', {
      method: 'POST',
      body: {
        tenantId,
        name: 'kv',
        metric: 'kvCacheUsagePct',
        operator: '>',
        threshold: 90,
        windowMinutes: 1,
        channels: [{ type: 'webhook', url: `${receiver.url}/hook`, secret: first }],
      },
      token,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const rule = created.body.rule as { id: string; channels: Array<{ id: string }> };
    const channelId = rule.channels[0]?.id ?? '';

    const row = await db().selectFrom('alert_channels').selectAll().where('id', '=', channelId).executeTakeFirstOrThrow();
    expect(row.secret).toBeNull();
    expect(row.secret_enc).toMatch(/^v2\.[0-9a-f]{8}\./);
    expect(JSON.stringify(row)).not.toContain(first);

    const overlapSeconds = 8;
    const rotated = await cluster.api(a, `/alert-rules/${rule.id}/channels/${channelId}/rotate-secret`, { method: 'POST', body: { overlapSeconds }, token });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const rotatedAt = Date.now();
    const second = (rotated.body.rule as { channels: Array<{ generatedSecret?: string; previousSecretExpiresAt: string | null }> }).channels[0];
    expect(second?.previousSecretExpiresAt).not.toBeNull();
    const next = second?.generatedSecret ?? '';
    expect(next).toMatch(/^[\w-]{40,}$/);
    const afterRotation = await db().selectFrom('alert_channels').selectAll().where('id', '=', channelId).executeTakeFirstOrThrow();
    expect(JSON.stringify(afterRotation)).not.toContain(next);
    expect(JSON.stringify(afterRotation)).not.toContain(first);

    const verify = (r: Received, secret: string) =>
      verifyWebhook({ secret, body: r.body, signatureHeader: r.signature, timestampHeader: r.timestamp, nowSeconds: Math.floor(r.at / 1000) });
    const evaluate = async (kv: number) => {
      await db()
        .insertInto('inference_samples')
        .values({ id: randomUUID(), server_id: serverId, tenant_id: tenantId, at: Date.now(), up: 1, kv_cache_usage_pct: kv })
        .execute();
      const run = await cluster.api(a, '/automations/alert-evaluation/run', { method: 'POST' });
      expect(run.status, JSON.stringify(run.body)).toBe(200);
    };

    await evaluate(97);
    const { value: fired } = await waitFor('the fired notification', 5_000, async () => received.find((r) => r.body.includes('incident.fired')));
    expect(fired.at - rotatedAt).toBeLessThan(overlapSeconds * 1000);
    expect(fired.signature.split(',')).toHaveLength(2);
    expect(verify(fired, next)).toBeNull();
    expect(verify(fired, first)).toBeNull();

    await sleep(Math.max(0, rotatedAt + overlapSeconds * 1000 + 500 - Date.now()));
    await evaluate(5);
    const { value: resolved } = await waitFor('the resolved notification', 5_000, async () => received.find((r) => r.body.includes('incident.resolved')));
    expect(resolved.signature.split(',')).toHaveLength(1);
    expect(verify(resolved, next)).toBeNull();
    expect(verify(resolved, first)).toBe('signature does not match');
    report(
      'secret rotation',
      `during the ${overlapSeconds} s overlap: 2 signatures, both verify; after it: 1, only the new secret verifies; no secret in the row`,
    );
  });

  it('a tenant token sees a paused automation without the operator’s email or the reason; the platform sees both', async () => {
    const tenantId = await newTenant('redaction');
    const token = await tenantToken(tenantId, ['automations:read']);
    const key = 'browser-session-reaper';
    await cluster.shared.c.automations.pause(testOperator('oncall@platform.example'), key, { reason: 'disk maintenance on node 7' });
    try {
      const platformView = await waitFor('the pause to reach the console', 5_000, async () => {
        const res = await cluster.api(a, `/automations/${key}`, { token: platform });
        const view = res.body.automation as { state: string; pausedBy: string | null; pauseReason: string | null };
        return view.state === 'paused' ? view : undefined;
      });
      expect(platformView.value).toMatchObject({ pausedBy: 'operator:oncall@platform.example', pauseReason: 'disk maintenance on node 7' });
      const one = await cluster.api(a, `/automations/${key}`, { token });
      const all = await cluster.api(a, '/automations', { token });
      const runs = await cluster.api(a, `/automations/${key}/runs`, { token });
      for (const text of [JSON.stringify(one.body), JSON.stringify(all.body), JSON.stringify(runs.body)]) {
        expect(text).not.toContain('oncall@platform.example');
        expect(text).not.toContain('disk maintenance');
      }
      expect(one.body.automation).toMatchObject({ state: 'paused', pausedBy: 'operator', pauseReason: null });
      expect(typeof (one.body.automation as { pausedAt: unknown }).pausedAt).toBe('string');
      report('redaction', `tenant token: pausedBy "operator", pauseReason null; platform token: the email and the reason`);
    } finally {
      await cluster.shared.c.automations.resume(testOperator('oncall@platform.example'), key);
    }
  });
});
