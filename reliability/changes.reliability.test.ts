import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../src/server/auth/operator.service';
import { type ConsoleProcess, ensureBuild, startConsole } from '../src/server/testing/console-process';
import { type TestContainer, testContainer } from '../src/server/testing/container';
import { tempDir } from '../src/server/testing/services';
import { type Cluster, report, sleep, startCluster } from './cluster';
import { testCaller } from '../src/server/testing/callers';
import { type LiveMessage, applyLiveMessage } from '../src/shared/live-message';

// Changes made by another process — the CLI, or a second console on the same database — reach every cache and
// every open board of a running console within a second: on the embedded default through the database's change
// feed, with Redis through pub/sub (issue 13, item 5).

const ROOT = path.resolve(import.meta.dirname, '..');
const BOUND_MS = 1_000;
const run = promisify(execFile);

/** The real CLI (`npx tsx scripts/cli.ts …`) with a console's environment. */
async function cli(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'scripts/cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
  });
  return stdout;
}

/**
 * Calls `GET /automations` with the token every 10 ms from now on (so the console's token cache stays warm, as
 * it would under steady traffic) and resolves with the wall-clock time of the first refusal.
 */
function firstRefusal(p: ConsoleProcess, token: string, timeoutMs: number): { refusedAt: Promise<number>; stop: () => void } {
  let stopped = false;
  const refusedAt = (async () => {
    const started = Date.now();
    while (!stopped && Date.now() - started < timeoutMs) {
      const res = await fetch(`${p.url}/api/client/v1/automations`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status === 401) return Date.now();
      if (res.status !== 200) throw new Error(`unexpected ${res.status} while waiting for the refusal`);
      await sleep(10);
    }
    throw new Error(`the token was still accepted ${timeoutMs} ms later`);
  })();
  return { refusedAt, stop: () => (stopped = true) };
}

/** Signs in over tRPC and returns the session cookie's value. */
async function signIn(p: ConsoleProcess, email: string, password: string): Promise<string> {
  const res = await fetch(`${p.url}/api/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (res.status !== 200 || !cookie) throw new Error(`sign-in of ${email} failed: ${res.status} ${await res.text()}`);
  return decodeURIComponent(cookie.slice(SESSION_COOKIE.length + 1).split(';')[0] ?? '');
}

async function sessionStatus(p: ConsoleProcess, session: string): Promise<number> {
  const res = await fetch(`${p.url}/api/trpc/automations.list`, { headers: { cookie: `${SESSION_COOKIE}=${session}` } });
  await res.arrayBuffer();
  return res.status;
}

/** A real tRPC SSE stream of the automations board, as an open browser tab holds it. */
class BoardStream {
  private text = '';
  private ended = false;
  private endedAt = 0;
  private readonly controller = new AbortController();
  private readonly done: Promise<void>;

  private constructor(body: ReadableStream<Uint8Array>) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.text += decoder.decode(value, { stream: true });
        }
      } catch {
        // aborted by close()
      }
      this.ended = true;
      this.endedAt = Date.now();
    })();
  }

  static async open(p: ConsoleProcess, session: string): Promise<BoardStream> {
    const controller = new AbortController();
    const res = await fetch(`${p.url}/api/trpc/automations.onChange`, {
      headers: { accept: 'text/event-stream', cookie: `${SESSION_COOKIE}=${session}` },
      signal: controller.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`stream not opened: ${res.status}`);
    const stream = new BoardStream(res.body);
    stream.controller.signal.addEventListener('abort', () => controller.abort());
    await stream.until('first message', 10_000, () => (stream.views().length > 0 ? true : undefined));
    return stream;
  }

  /** The list after every message received so far (a snapshot, then deltas merged in), newest last. */
  views(): Array<Array<{ key: string; state: string }>> {
    const lists: Array<Array<{ key: string; state: string }>> = [];
    for (const line of this.text.split('\n')) {
      if (!line.startsWith('data: ')) continue;
      try {
        const message = JSON.parse(line.slice(6)) as LiveMessage<{ key: string; state: string }>;
        if (message.kind === 'snapshot' || message.kind === 'delta') lists.push(applyLiveMessage(lists.at(-1), message, (v) => v.key));
      } catch {
        // not a list message (connected)
      }
    }
    return lists;
  }

  stateOf(key: string): string | undefined {
    return this.views()
      .at(-1)
      ?.find((v) => v.key === key)?.state;
  }

  /** When the server ended the stream (0 while open). */
  endTime(): number {
    return this.ended ? this.endedAt : 0;
  }

  async until<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
    const started = Date.now();
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(5);
    }
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

describe('changes from other processes, embedded default (two consoles and the CLI on one SQLite file)', () => {
  const data = tempDir('changes');
  const env: Record<string, string> = {
    DATA_DIR: data.dir,
    CONSOLE_ADMIN_PASSWORD: 'reliability-password',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    DATABASE_URL: '',
    REDIS_URL: '',
  };
  const processes: ConsoleProcess[] = [];
  const streams: BoardStream[] = [];
  let db: TestContainer | null = null;
  let a: ConsoleProcess;
  let b: ConsoleProcess;
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await db?.close();
    data.cleanup();
  });

  async function setup(): Promise<TestContainer> {
    if (db) return db;
    ensureBuild();
    a = await startConsole({ ...env, INSTANCE_ID: 'feed-a' });
    b = await startConsole({ ...env, INSTANCE_ID: 'feed-b' });
    processes.push(a, b);
    db = await testContainer('sqlite-local', {}, { DATA_DIR: data.dir });
    return db;
  }

  it('CLI `tokens revoke` → the running console refuses the token within 1 s', async () => {
    const t = await setup();
    const delays: number[] = [];
    for (const round of [1, 2, 3]) {
      const name = `revoked-by-cli-${round}`;
      const { token } = await t.c.tokens.create(testCaller('test'), { name, scopes: ['automations:read'] });
      const watch = firstRefusal(a, token, 15_000);
      await sleep(300);
      // The CLI with the console's own environment, instance id included (it must still be heard).
      const out = await cli({ ...env, INSTANCE_ID: 'feed-a' }, 'tokens', 'revoke', name);
      expect(out).toContain(`Revoked token "${name}"`);
      const row = await t.c.database.db.selectFrom('api_tokens').select('revoked_at').where('name', '=', name).executeTakeFirstOrThrow();
      const refusedAt = await watch.refusedAt;
      watch.stop();
      delays.push(refusedAt - Number(row.revoked_at));
    }
    report(
      'CLI tokens revoke → refused (SQLite, change feed)',
      `${delays.join(', ')} ms after the revocation was written (3 rounds; bound ${BOUND_MS} ms; the lookup cache alone would allow up to 5,000 ms)`,
    );
    for (const delay of delays) expect(delay).toBeLessThan(BOUND_MS);
  });

  it('CLI `users disable` → that operator is refused at once and their open board stream ends within 1 s', async () => {
    const t = await setup();
    await t.c.operators.create(testCaller('test'), { email: 'wall@example.com', password: 'wall-password', role: 'viewer' });
    const session = await signIn(a, 'wall@example.com', 'wall-password');
    expect(await sessionStatus(a, session)).toBe(200);
    const stream = await BoardStream.open(a, session);
    streams.push(stream);

    expect(await cli(env, 'users', 'disable', 'wall@example.com')).toContain('Disabled wall@example.com');
    const disabledAt = Number(
      (await t.c.database.db.selectFrom('operators').select('disabled_at').where('email', '=', 'wall@example.com').executeTakeFirstOrThrow()).disabled_at,
    );
    const refusedA = await sessionStatus(a, session);
    const refusedB = await sessionStatus(b, session);
    const endedAt = await stream.until('the stream to end', 5_000, () => (stream.endTime() > 0 ? stream.endTime() : undefined));
    report(
      'CLI users disable → refused (SQLite)',
      `next request 401 on both consoles; open board stream closed ${endedAt - disabledAt} ms after the disable was written (bound ${BOUND_MS} ms)`,
    );
    expect([refusedA, refusedB]).toEqual([401, 401]);
    expect(endedAt - disabledAt).toBeLessThan(BOUND_MS);
  });

  it('a pause made on the second console reaches the first console’s open board within 1 s', async () => {
    const t = await setup();
    const { token } = await t.c.tokens.create(testCaller('test'), { name: 'pauser', scopes: ['automations:read', 'automations:write'] });
    const admin = await signIn(a, 'admin@console.local', 'reliability-password');
    const stream = await BoardStream.open(a, admin);
    streams.push(stream);
    const delays: number[] = [];
    for (const action of ['pause', 'resume', 'pause'] as const) {
      const res = await fetch(`${b.url}/api/client/v1/automations/inference-monitoring-poll/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      const answeredAt = Date.now();
      expect(res.status).toBe(200);
      const paused = action === 'pause';
      const shownAt = await stream.until(`${action} on the board of console A`, 20_000, () =>
        (stream.stateOf('inference-monitoring-poll') === 'paused') === paused ? Date.now() : undefined,
      );
      delays.push(shownAt - answeredAt);
    }
    report(
      'pause on console B → board stream of console A (SQLite)',
      `${delays.join(', ')} ms after B answered (pause, resume, pause; bound ${BOUND_MS} ms; without the feed, up to the 15 s stream refresh)`,
    );
    for (const delay of delays) expect(delay).toBeLessThan(BOUND_MS);
  });

  it('sessions an admin ends are refused at once on every console, and their streams end within 1 s', async () => {
    const t = await setup();
    const ops = await t.c.operators.create(testCaller('test'), { email: 'ended@example.com', password: 'ended-password', role: 'viewer' });
    const session = await signIn(a, 'ended@example.com', 'ended-password');
    const onB = await BoardStream.open(b, session);
    streams.push(onB);
    expect([await sessionStatus(a, session), await sessionStatus(b, session)]).toEqual([200, 200]);

    const admin = await signIn(a, 'admin@console.local', 'reliability-password');
    const res = await fetch(`${a.url}/api/trpc/admin.endOperatorSessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `${SESSION_COOKIE}=${admin}` },
      body: JSON.stringify({ operatorId: ops.id }),
    });
    const endedAt = Date.now();
    expect(res.status).toBe(200);
    expect([await sessionStatus(b, session), await sessionStatus(a, session)]).toEqual([401, 401]);
    const streamEndedAt = await onB.until('the stream on B to end', 5_000, () => (onB.endTime() > 0 ? onB.endTime() : undefined));
    report(
      'admin ends sessions on A → refused everywhere (SQLite)',
      `next request 401 on B and A; B's open stream closed ${streamEndedAt - endedAt} ms after A answered (bound ${BOUND_MS} ms)`,
    );
    expect(streamEndedAt - endedAt).toBeLessThan(BOUND_MS);
  });
});

describe('changes from other processes, PostgreSQL + Redis', () => {
  let cluster: Cluster | null = null;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('CLI `tokens revoke` → the running console refuses the token within 1 s', async () => {
    cluster = await startCluster({ ids: ['pg-changes-a'] });
    const p = cluster.byId.get('pg-changes-a');
    if (!p) throw new Error('instance missing');
    const delays: number[] = [];
    for (const round of [1, 2, 3]) {
      const name = `pg-revoked-by-cli-${round}`;
      const { token } = await cluster.shared.c.tokens.create(testCaller('test'), { name, scopes: ['automations:read'] });
      const watch = firstRefusal(p, token, 15_000);
      await sleep(300);
      const out = await cli({ ...cluster.env, INSTANCE_ID: 'pg-changes-a' }, 'tokens', 'revoke', name);
      expect(out).toContain(`Revoked token "${name}"`);
      const row = await cluster.shared.c.database.db.selectFrom('api_tokens').select('revoked_at').where('name', '=', name).executeTakeFirstOrThrow();
      const refusedAt = await watch.refusedAt;
      watch.stop();
      delays.push(refusedAt - Number(row.revoked_at));
    }
    report(
      'CLI tokens revoke → refused (PostgreSQL + Redis pub/sub)',
      `${delays.join(', ')} ms after the revocation was written (3 rounds; bound ${BOUND_MS} ms)`,
    );
    for (const delay of delays) expect(delay).toBeLessThan(BOUND_MS);
  });
});
