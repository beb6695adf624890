import { TRPCClientError } from '@trpc/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALL_TENANTS } from '../../tenants/tenant-access';
import { type Fixture, startFixture } from '../../inference/testing/fixture-servers';
import { trpcClient } from '../../testing/clients';
import { TOPOLOGIES, type TestContainer, testContainer } from '../../testing/container';
import { DEFAULT_OUTBOUND_ENV } from '../../testing/outbound';
import { readerOf, testCaller, testToken } from '../../testing/callers';

async function signedIn(t: TestContainer, role: 'admin' | 'viewer') {
  const email = `${role}-${Math.random().toString(36).slice(2)}@example.com`;
  await t.c.operators.create(testCaller('test'), { email, password: 'a-long-password', role });
  const { client } = trpcClient(t.c);
  await client.auth.login.mutate({ email, password: 'a-long-password' });
  return { client, email };
}

function appCode(error: unknown): string | null {
  if (!(error instanceof TRPCClientError)) throw error;
  return (error.data as { appCode?: string | null; code?: string }).appCode ?? (error.data as { code?: string }).code ?? null;
}

describe.each(TOPOLOGIES)('tenants and inference tRPC procedures on %s', (topology, available) => {
  const containers: TestContainer[] = [];
  const fixtures: Fixture[] = [];
  beforeEach(({ skip }) => {
    if (!available) skip();
  });
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.close();
    for (const t of containers.splice(0)) {
      await t.c.inference.lifecycle.stop?.();
      await t.close();
    }
  });

  async function container(env: Record<string, string> = {}): Promise<TestContainer> {
    const t = await testContainer(topology, env);
    containers.push(t);
    return t;
  }

  it('admins manage tenants and servers through the same service as REST; mutations are audited as the operator', async () => {
    const t = await container();
    const { client, email } = await signedIn(t, 'admin');
    const f = await startFixture('llamacpp');
    fixtures.push(f);

    const tenant = await client.tenants.create.mutate({ name: 'Research', slug: 'research' });
    expect(tenant).toMatchObject({ slug: 'research', usage: { inferenceServers: 0 } });
    const server = await client.inference.create.mutate({ tenantId: tenant.id, name: 'llama', kind: 'llamacpp', baseUrl: f.url });
    expect(server).toMatchObject({ pollIntervalSeconds: 30, enabled: true, status: 'down', hasApiKey: false });
    expect(await client.inference.list.query({ tenantId: tenant.id })).toEqual([server]);
    expect(await client.inference.get.query({ id: server.id })).toEqual(server);
    // the same object the REST surface answers with
    expect(await t.c.inference.servers.get(readerOf(ALL_TENANTS), server.id)).toEqual(server);

    await t.c.automations.run(testToken(), 'inference-monitoring-poll');
    const samples = await client.inference.samples.query({ id: server.id });
    expect(samples).toEqual([expect.objectContaining({ up: true, requestsRunning: 1, requestsWaiting: 3, kvCacheUsagePct: 12.5 })]);

    const renamed = await client.tenants.update.mutate({ id: tenant.id, changes: { name: 'Research & Dev' } });
    expect(renamed.name).toBe('Research & Dev');
    const busy = await client.tenants.delete.mutate({ id: tenant.id }).catch((e: unknown) => e);
    expect(appCode(busy)).toBe('CONFLICT');
    expect((busy as Error).message).toContain('still owns 1 inference server');

    const disabled = await client.inference.update.mutate({ id: server.id, changes: { enabled: false } });
    expect(disabled.status).toBe('disabled');
    await client.inference.delete.mutate({ id: server.id });
    await client.tenants.delete.mutate({ id: tenant.id });
    expect(await client.tenants.list.query()).toEqual([]);

    const actors = new Set(
      (await t.c.audit.list({ limit: 20 })).filter((e) => e.action.startsWith('tenant.') || e.action.startsWith('inference-server.')).map((e) => e.actor),
    );
    expect([...actors]).toEqual([`operator:${email}`]);
  });

  it('validation and not-found errors carry the shared codes', async () => {
    const t = await container();
    const { client } = await signedIn(t, 'admin');
    const bad = await client.inference.create.mutate({ tenantId: 'x', name: 'n', kind: 'vllm', baseUrl: 'http://169.254.169.254/' }).catch((e: unknown) => e);
    expect(appCode(bad)).toBe('NOT_FOUND'); // the tenant is checked first
    const tenant = await client.tenants.create.mutate({ name: 'T', slug: 't' });
    const refused = await client.inference.create
      .mutate({ tenantId: tenant.id, name: 'n', kind: 'vllm', baseUrl: 'http://169.254.169.254/' })
      .catch((e: unknown) => e);
    expect(appCode(refused)).toBe('INVALID_INPUT');
    expect((refused as Error).message).toContain('link-local');
    expect(appCode(await client.inference.get.query({ id: 'missing' }).catch((e: unknown) => e))).toBe('NOT_FOUND');
    expect(appCode(await client.tenants.create.mutate({ name: 'T', slug: 'Not A Slug' }).catch((e: unknown) => e))).toBe('BAD_REQUEST');
  });

  it('viewers read but cannot change; signed-out callers get nothing', async () => {
    const t = await container();
    await t.c.tenants.service.create(testToken(), { name: 'Seen', slug: 'seen' });
    const { client } = await signedIn(t, 'viewer');
    expect((await client.tenants.list.query()).map((x) => x.slug)).toEqual(['seen']);
    expect(await client.inference.list.query()).toEqual([]);
    // One at a time: a second call started before the first is awaited could reject with nobody listening yet.
    for (const attempt of [() => client.tenants.create.mutate({ name: 'No', slug: 'no' }), () => client.inference.loadDemo.mutate()]) {
      expect(appCode(await attempt().catch((e: unknown) => e))).toBe('FORBIDDEN');
    }
    const { client: anonymous } = trpcClient(t.c);
    expect(appCode(await anonymous.inference.list.query().catch((e: unknown) => e))).toBe('UNAUTHORIZED');
  });

  it('"Load demo data": refused while the fleet is off; with DEMO_FLEET=on it creates a demo tenant whose servers the next run polls', async () => {
    const off = await container();
    const { client: offClient } = await signedIn(off, 'admin');
    expect(await offClient.inference.demoStatus.query()).toEqual({ enabled: false, baseUrl: null });
    const refused = await offClient.inference.loadDemo.mutate().catch((e: unknown) => e);
    expect(appCode(refused)).toBe('CONFLICT');
    expect((refused as Error).message).toContain('DEMO_FLEET=on');

    // A default install otherwise (no allow-lists): the fleet's own listener is all that opens.
    const t = await container({ ...DEFAULT_OUTBOUND_ENV, DEMO_FLEET: 'on', DEMO_FLEET_PORT: '0', CONSOLE_SECRET: 'demo-test-secret-0123456789-0123456789' });
    await t.c.inference.lifecycle.start?.(); // only the inference module's background work: the demo fleet
    const { client } = await signedIn(t, 'admin');
    const status = await client.inference.demoStatus.query();
    expect(status.enabled).toBe(true);
    expect(status.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const loaded = await client.inference.loadDemo.mutate();
    expect(loaded.created).toBe(5);
    expect(loaded.tenant.slug).toBe('demo');
    expect(loaded.servers.map((s) => s.kind).sort()).toEqual(['llamacpp', 'ollama', 'openai', 'tgi', 'vllm']);
    expect(loaded.servers.find((s) => s.kind === 'openai')?.hasApiKey).toBe(true);
    expect((await client.inference.loadDemo.mutate()).created).toBe(0); // idempotent

    const result = await t.c.automations.run(testToken(), 'inference-monitoring-poll');
    expect(result.automation.metrics).toMatchObject({ dueServers: 5, processedTenants: 1 });
    for (const server of loaded.servers) {
      const samples = await client.inference.samples.query({ id: server.id });
      expect(samples, server.kind).toHaveLength(1);
      // The simulated TGI restarts for 45 s every 10 minutes; every other kind must be up.
      if (server.kind !== 'tgi') expect(samples[0]?.up, server.kind).toBe(true);
    }
  });
});
