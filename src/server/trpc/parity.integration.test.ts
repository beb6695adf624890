import { TRPCClientError } from '@trpc/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCOPES } from '../auth/auth.schemas';
import type { AppRouter } from './app-router';
import { restClient, trpcClient } from '../testing/clients';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { testCaller, testToken } from '../testing/callers';

type View = Record<string, unknown>;
type Outcome = { ok: true; view: View } | { ok: false; code: string; message: string };

/** One surface of the service: the same operations, answered in each surface's own way, normalised here. */
interface Surface {
  name: string;
  list(): Promise<View[]>;
  get(key: string): Promise<Outcome>;
  run(key: string): Promise<Outcome>;
  pause(key: string, input?: { reason?: string }): Promise<Outcome>;
  resume(key: string): Promise<Outcome>;
}

function restSurface(t: TestContainer, token: string): Surface {
  const call = restClient(t.c, token);
  const outcome = async (p: ReturnType<typeof call>): Promise<Outcome> => {
    const res = await p;
    if (res.status === 200) return { ok: true, view: res.body.automation as View };
    return { ok: false, code: String(res.body.code), message: String(res.body.error) };
  };
  return {
    name: 'REST',
    list: async () => (await call('GET', '/api/client/v1/automations')).body.automations as View[],
    get: (key) => outcome(call('GET', `/api/client/v1/automations/${key}`)),
    run: (key) => outcome(call('POST', `/api/client/v1/automations/${key}/run`)),
    pause: (key, input) => outcome(call('POST', `/api/client/v1/automations/${key}/pause`, { body: input ? JSON.stringify(input) : undefined })),
    resume: (key) => outcome(call('POST', `/api/client/v1/automations/${key}/resume`)),
  };
}

async function trpcSurface(t: TestContainer): Promise<Surface> {
  await t.c.operators.create(testCaller('test'), { email: 'parity@example.com', password: 'parity-password', role: 'admin' });
  const { client } = trpcClient(t.c);
  await client.auth.login.mutate({ email: 'parity@example.com', password: 'parity-password' });
  const outcome = async (p: Promise<View>): Promise<Outcome> => {
    try {
      return { ok: true, view: await p };
    } catch (error) {
      if (!(error instanceof TRPCClientError)) throw error;
      return { ok: false, code: String((error.data as { appCode?: string }).appCode), message: error.message };
    }
  };
  return {
    name: 'tRPC',
    list: () => client.automations.list.query(),
    get: (key) => outcome(client.automations.get.query({ key })),
    run: (key) =>
      outcome(
        client.automations.run.mutate({ key }).then((r) => {
          if (r.outcome === 'finished' && r.run.outcome === 'failed') throw new Error(r.run.error ?? '');
          return r.automation;
        }),
      ),
    pause: (key, input) => outcome(client.automations.pause.mutate({ key, ...input })),
    resume: (key) => outcome(client.automations.resume.mutate({ key })),
  };
}

/** Fields that differ between two runs of the same scenario only because time passed or ids differ. */
function stable(view: View): View {
  const { lastStartedAt, lastCompletedAt, lastDurationMs, pausedAt, pausedBy, nextRunAt, lastRun, ...rest } = view;
  return {
    ...rest,
    hasStarted: lastStartedAt !== null,
    hasCompleted: lastCompletedAt !== null,
    hasDuration: typeof lastDurationMs === 'number',
    paused: pausedAt !== null,
    // who differs by surface on purpose (token:… vs operator:…); that someone is recorded must not
    hasPausedBy: typeof pausedBy === 'string' && /^(token|operator):.+/.test(pausedBy),
    hasNextRun: nextRunAt !== null,
    lastRun: lastRun ? { outcome: (lastRun as View).outcome } : null,
  };
}

async function scenario(surface: Surface): Promise<unknown[]> {
  const steps: unknown[] = [];
  const record = (label: string, o: Outcome) => steps.push(o.ok ? { label, view: stable(o.view) } : { label, code: o.code, message: o.message });
  steps.push({ label: 'list', keys: (await surface.list()).map((v) => v.key) });
  record('get', await surface.get('alert-evaluation'));
  record('get unknown', await surface.get('no-such-thing'));
  record('get malformed', await surface.get('Not_A_Key'));
  record('pause', await surface.pause('alert-evaluation', { reason: 'parity' }));
  record('pause again', await surface.pause('alert-evaluation'));
  record('run while paused', await surface.run('alert-evaluation'));
  record('resume', await surface.resume('alert-evaluation'));
  record('pause unsupported', await surface.pause('browser-session-reconciliation'));
  record('resume unsupported', await surface.resume('browser-session-reconciliation'));
  record('run unknown', await surface.run('no-such-thing'));
  record('run reconciliation', await surface.run('browser-session-reconciliation'));
  return steps;
}

describe.each(TOPOLOGIES)('REST and tRPC parity on %s', (topology, available) => {
  const containers: TestContainer[] = [];
  beforeEach(({ skip }) => {
    if (!available) skip();
  });
  afterEach(async () => {
    for (const t of containers.splice(0)) await t.close();
  });

  it('the same scenario through both surfaces gives the same views and the same errors', async () => {
    const restSide = await testContainer(topology);
    const trpcSide = await testContainer(topology);
    containers.push(restSide, trpcSide);
    const token = (await restSide.c.tokens.create(testCaller('test'), { name: 'parity', scopes: [...SCOPES] })).token;
    const viaRest = await scenario(restSurface(restSide, token));
    const viaTrpc = await scenario(await trpcSurface(trpcSide));
    expect(viaTrpc).toEqual(viaRest);
    // and the scenario did what it says, so equality is not two identical failures
    expect(viaRest[4]).toMatchObject({ label: 'pause', view: { state: 'paused', pauseReason: 'parity', hasPausedBy: true } });
    expect(viaRest[8]).toMatchObject({ label: 'pause unsupported', code: 'UNSUPPORTED_ACTION' });
    expect((await restSide.c.automations.get(testToken(), 'alert-evaluation')).state).not.toBe('paused');
    expect((await restSide.c.audit.list({ limit: 1, action: 'automation.pause' }))[0]?.actor).toBe('token:parity');
    expect((await trpcSide.c.audit.list({ limit: 1, action: 'automation.pause' }))[0]?.actor).toBe('operator:parity@example.com');
    expect(viaRest[11]).toMatchObject({ label: 'run reconciliation', view: { hasCompleted: true, lastRun: { outcome: 'succeeded' } } });
  });

  it('viewers may read but not act; signed-out callers may do neither', async () => {
    const t = await testContainer(topology);
    containers.push(t);
    await t.c.operators.create(testCaller('test'), { email: 'viewer@example.com', password: 'viewer-password', role: 'viewer' });
    const { client } = trpcClient(t.c);
    await expect(client.automations.list.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    await client.auth.login.mutate({ email: 'viewer@example.com', password: 'viewer-password' });
    expect(await client.automations.list.query()).toHaveLength(4);
    await expect(client.automations.pause.mutate({ key: 'alert-evaluation' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(client.automations.run.mutate({ key: 'alert-evaluation' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await client.auth.logout.mutate();
    await expect(client.automations.list.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });

  it('changes an operator’s own password: the current one is checked, other sessions end, this one stays', async () => {
    const t = await testContainer(topology);
    containers.push(t);
    await t.c.operators.create(testCaller('test'), { email: 'me@example.com', password: 'first-password', role: 'viewer' });
    const here = trpcClient(t.c).client;
    const elsewhere = trpcClient(t.c).client;
    await here.auth.login.mutate({ email: 'me@example.com', password: 'first-password' });
    await elsewhere.auth.login.mutate({ email: 'me@example.com', password: 'first-password' });
    await expect(here.auth.changePassword.mutate({ current: 'wrong-password', next: 'second-password' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
    await expect(here.auth.changePassword.mutate({ current: 'first-password', next: 'short' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    await here.auth.changePassword.mutate({ current: 'first-password', next: 'second-password' });
    expect(await here.auth.me.query()).toMatchObject({ email: 'me@example.com' });
    expect(await elsewhere.auth.me.query()).toBeNull();
    const fresh = trpcClient(t.c).client;
    await expect(fresh.auth.login.mutate({ email: 'me@example.com', password: 'first-password' })).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    expect(await fresh.auth.login.mutate({ email: 'me@example.com', password: 'second-password' })).toMatchObject({ role: 'viewer' });
  });

  it('limits sign-in attempts and refuses wrong passwords without saying which part was wrong', async () => {
    const t = await testContainer(topology);
    containers.push(t);
    await t.c.operators.create(testCaller('test'), { email: 'ops@example.com', password: 'right-password', role: 'admin' });
    const { client } = trpcClient(t.c);
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        await client.auth.login.mutate({ email: 'ops@example.com', password: `wrong-${i}` });
        codes.push('OK');
      } catch (error) {
        codes.push(String((error as TRPCClientError<AppRouter>).data?.code));
      }
    }
    expect(codes).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'TOO_MANY_REQUESTS']);
  });
});
