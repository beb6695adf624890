import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../src/server/auth/operator.service';
import type { ConsoleProcess } from '../src/server/testing/console-process';
import { freePort } from '../src/server/testing/free-port';
import { postgresAvailable, redisAvailable, tempDir } from '../src/server/testing/services';
import { type Cluster, report, sleep, startCluster, waitFor } from './cluster';
import { testCaller } from '../src/server/testing/callers';
import { type LiveMessage, applyLiveMessage } from '../src/shared/live-message';

// Two real consoles on PostgreSQL + Redis behind Debian's nginx with the sample configuration of
// docs/operations/nginx.conf (round robin, no sticky routing): the REST surface, a live view, a browser session's
// whole life with every call answered, and one instance SIGKILLed mid-way (issue 15, item 6).

const NGINX = '/usr/sbin/nginx';
const SAMPLE = path.resolve(import.meta.dirname, '../docs/operations/nginx.conf');
const available = postgresAvailable && redisAvailable && fs.existsSync(NGINX);

/** nginx as a child process on the sample config: our ports, one worker (strict alternation), all paths in a temp dir. */
async function startNginx(upstreams: number[]): Promise<{ url: string; stop: () => Promise<void>; errors: () => string }> {
  const dir = tempDir('nginx');
  fs.chmodSync(dir.dir, 0o755); // run as root, nginx's workers are `nobody` and create their temp files in here
  for (const sub of ['logs', 'temp']) fs.mkdirSync(path.join(dir.dir, sub));
  const port = await freePort();
  let servers = 0;
  const conf = fs
    .readFileSync(SAMPLE, 'utf8')
    .replace('worker_processes auto;', 'worker_processes 1;')
    .replace(/^(\s*)server 10\.0\.0\.\d+:3000 (.*)$/gm, (_line, indent: string, rest: string) => `${indent}server 127.0.0.1:${upstreams[servers++]} ${rest}`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    // Test only: which instance answered, so the test can tell a forwarded call from a direct one.
    .replace('proxy_pass http://console;', 'proxy_pass http://console;\n            add_header X-Served-By $upstream_addr always;');
  if (servers !== upstreams.length) throw new Error(`the sample config names ${servers} upstream servers, the test ${upstreams.length}`);
  const confPath = path.join(dir.dir, 'nginx.conf');
  fs.writeFileSync(confPath, conf);
  const child: ChildProcess = spawn(NGINX, ['-p', dir.dir, '-c', confPath, '-e', path.join(dir.dir, 'logs/error.log'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const errors = () => `${stderr}${fs.readFileSync(path.join(dir.dir, 'logs/error.log'), 'utf8')}`;
  await waitFor('nginx listening', 10_000, async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${errors()}`);
    return (
      (await fetch(`${url}/api/health`).then(
        (r) => r.status,
        () => 0,
      )) === 200 || undefined
    );
  });
  return {
    url,
    errors,
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      dir.cleanup();
    },
  };
}

interface Answer {
  status: number;
  servedBy: string;
  body: Record<string, unknown>;
  bytes: Buffer;
}

/** A page for the sessions: its title is the `title` query parameter. */
async function startPages(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const title = new URL(req.url ?? '/', 'http://pages').searchParams.get('title') ?? 'page';
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>${title}</title><h1>${title}</h1>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, close: () => server.close() };
}

describe.skipIf(!available)('two instances behind nginx, round robin', () => {
  let cluster: Cluster;
  let nginx: Awaited<ReturnType<typeof startNginx>>;
  let pages: Awaited<ReturnType<typeof startPages>>;
  let token: string;
  let tenantId: string;
  const portOf = (p: ConsoleProcess) => `127.0.0.1:${p.port}`;

  /** One call through the balancer with the test's token. */
  async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${nginx.url}${route.startsWith('/api') ? route : `/api/client/v1${route}`}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const json = res.headers.get('content-type')?.includes('json') ?? false;
    return {
      status: res.status,
      servedBy: res.headers.get('x-served-by') ?? '',
      body: json ? (JSON.parse(bytes.toString()) as Record<string, unknown>) : {},
      bytes,
    };
  }
  const session = (a: Answer) => a.body.session as { id: string; status: string; title: string | null; ownerInstanceId: string; closeReason: string | null };

  beforeAll(async () => {
    pages = await startPages();
    cluster = await startCluster({
      ids: ['lb-a', 'lb-b'],
      env: { TRUSTED_PROXY_HOPS: '1', AUTH_FAILURES_PER_MINUTE: '3', BROWSER_MAX_SESSIONS: '4', TENANT_MAX_BROWSER_SESSIONS: '4' },
    });
    const [a, b] = cluster.instances as [ConsoleProcess, ConsoleProcess];
    nginx = await startNginx([a.port, b.port]);
    const scopes = ['automations:read', 'automations:write', 'inference:read', 'inference:write', 'browser:read', 'browser:write'] as const;
    token = (await cluster.shared.c.tokens.create(testCaller('test'), { name: 'balancer', scopes: [...scopes] })).token;
    const tenant = await call('POST', '/tenants', { name: 'Balancer', slug: 'balancer' });
    expect(tenant.status, JSON.stringify(tenant.body)).toBe(201);
    tenantId = (tenant.body.tenant as { id: string }).id;
  });

  afterAll(async () => {
    await nginx?.stop();
    await cluster?.stop();
    pages?.close();
  });

  it('serves the REST contract from both instances in turn', async () => {
    const [a, b] = cluster.instances as [ConsoleProcess, ConsoleProcess];
    const seen = new Set<string>();
    const checks: Array<[string, string, number, unknown?]> = [
      ['GET', '/api/health', 200],
      ['GET', '/api/health', 200],
      ['GET', '/openapi.json', 200],
      ['GET', '/openapi.json', 200],
      ['GET', '/automations', 200],
      ['GET', '/automations', 200],
      ['GET', '/automations/inference-monitoring-poll', 200],
      ['GET', '/automations/inference-monitoring-poll', 200],
      ['GET', '/automations/no-such-automation', 404],
      ['POST', '/automations/inference-monitoring-poll/pause', 200],
      ['POST', '/automations/inference-monitoring-poll/resume', 200],
      ['GET', '/browser/sessions', 200],
    ];
    for (const [method, route, status] of checks) {
      const answer = await call(method, route);
      expect(answer.status, `${method} ${route}: ${JSON.stringify(answer.body)}`).toBe(status);
      expect(answer.bytes.length).toBeGreaterThan(0);
      seen.add(answer.servedBy);
    }
    expect(seen).toEqual(new Set([portOf(a), portOf(b)]));
  });

  it('believes X-Forwarded-For only as written by nginx (TRUSTED_PROXY_HOPS=1)', async () => {
    // The failed-authentication limit counts per client address (3 a minute here), shared through Redis.
    const bad = (from: string, forged?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${nginx.url}/api/client/v1/automations`,
          { localAddress: from, headers: { authorization: 'Bearer nope', ...(forged ? { 'x-forwarded-for': forged } : {}) } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const first = [await bad('127.0.0.3'), await bad('127.0.0.3'), await bad('127.0.0.3'), await bad('127.0.0.3')];
    expect(first).toEqual([401, 401, 401, 429]);
    // Another client claiming to be the limited one (or anyone) is counted as itself.
    expect(await bad('127.0.0.4', '127.0.0.3')).toBe(401);
    report('balancer X-Forwarded-For', `client 127.0.0.3: ${first.join(', ')}; client 127.0.0.4 forging 127.0.0.3: 401`);
  });

  it('carries a live view: a pause made through the balancer reaches a stream opened through it', async () => {
    const login = await fetch(`${nginx.url}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@console.local', password: 'reliability-password' }),
    });
    const cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
      ?.split(';')[0];
    expect(login.status).toBe(200);
    const controller = new AbortController();
    const res = await fetch(`${nginx.url}/api/trpc/automations.onChange`, {
      headers: { accept: 'text/event-stream', cookie: cookie ?? '' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    let text = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
      } catch {
        // aborted below
      }
    })();
    // The stream sends a snapshot, then deltas (docs/api.md, Live streams): the list as the board folds them.
    const lists = () => {
      let list: Array<{ key: string; state: string }> | undefined;
      for (const line of text.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        try {
          const message = JSON.parse(line.slice(6)) as LiveMessage<{ key: string; state: string }>;
          if (message.kind === 'snapshot' || message.kind === 'delta') list = applyLiveMessage(list, message, (v) => v.key);
        } catch {
          // not a list message (connected)
        }
      }
      return list;
    };
    const pausedShown = () => lists()?.find((v) => v.key === 'inference-monitoring-poll')?.state === 'paused';
    await waitFor('the first message of the stream', 15_000, async () => (lists() !== undefined ? true : undefined));
    expect(pausedShown()).toBe(false);
    const paused = await call('POST', '/automations/inference-monitoring-poll/pause');
    expect(paused.status).toBe(200);
    const { elapsedMs } = await waitFor('the pause on the stream', 20_000, async () => (pausedShown() ? true : undefined));
    report('balancer live view', `a pause made through nginx reached a stream opened through nginx ${elapsedMs} ms after it was answered`);
    controller.abort();
    await reading;
    expect((await call('POST', '/automations/inference-monitoring-poll/resume')).status).toBe(200);
  });

  it("answers every call of a browser session's whole life, whichever instance it reaches", async () => {
    const created = await call('POST', '/browser/sessions', { tenantId, url: `${pages.url}/?title=start` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { id, ownerInstanceId } = session(created);
    const owner = cluster.byId.get(ownerInstanceId) as ConsoleProcess;
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) {
      answers.push(await call('POST', `/browser/sessions/${id}/navigate`, { url: `${pages.url}/?title=step-${i}` }));
      expect(session(answers.at(-1) as Answer)).toMatchObject({ status: 'ready', title: `step-${i}` });
      answers.push(await call('GET', `/browser/sessions/${id}/screenshot`));
      expect((answers.at(-1) as Answer).bytes.subarray(1, 4).toString()).toBe('PNG');
    }
    answers.push(await call('DELETE', `/browser/sessions/${id}`));
    expect(session(answers.at(-1) as Answer)).toMatchObject({ status: 'closed', closeReason: 'requested' });
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const forwarded = answers.filter((a) => a.servedBy !== portOf(owner)).length;
    // Round robin sends every other call to the instance that does not hold the page.
    expect(forwarded).toBeGreaterThanOrEqual(4);
    report(
      'balancer browser session',
      `${answers.length + 1} calls (create, 4 × navigate + screenshot, close) all answered; ${forwarded} reached the other instance and were forwarded to the owner`,
    );
  });

  it('one instance SIGKILLed mid-way: every call the survivor can answer is answered; the dead one’s session ends with it', async () => {
    const open = async (title: string) => {
      const res = await call('POST', '/browser/sessions', { tenantId, url: `${pages.url}/?title=${title}` });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return session(res);
    };
    const first = await open('one');
    const second = await open('two');
    expect(first.ownerInstanceId).not.toBe(second.ownerInstanceId); // round robin placed one on each
    const [doomed, kept] = first.ownerInstanceId === 'lb-a' ? [first, second] : [second, first];
    const victim = cluster.byId.get(doomed.ownerInstanceId) as ConsoleProcess;

    // The survivor's work, in a steady sequence of calls; the kill lands between two of them.
    const work = (i: number): Array<[string, string, unknown?]> => [
      ['GET', '/api/health'],
      ['GET', '/automations'],
      ['GET', `/browser/sessions/${kept.id}`],
      ['POST', `/browser/sessions/${kept.id}/navigate`, { url: `${pages.url}/?title=kept-${i}` }],
      ['GET', `/browser/sessions/${kept.id}/screenshot`],
      ['GET', `/browser/sessions/${doomed.id}`],
    ];
    const statuses: number[] = [];
    let killedAt = 0;
    for (let i = 0; i < 6; i++) {
      if (i === 3) {
        victim.child.kill('SIGKILL');
        await new Promise((resolve) => victim.child.once('exit', resolve));
        killedAt = statuses.length;
      }
      for (const [method, route, body] of work(i)) {
        const answer = await call(method, route, body);
        expect(answer.status, `${method} ${route} (round ${i}): ${JSON.stringify(answer.body)}`).toBe(200);
        statuses.push(answer.status);
      }
    }
    expect(session(await call('GET', `/browser/sessions/${kept.id}`))).toMatchObject({ status: 'ready', title: 'kept-5' });

    // The dead instance's page is gone with it: an action on its session answers 409 naming it (at once, or after
    // the 3 s the survivor waits for an answer)...
    const lost = await call('POST', `/browser/sessions/${doomed.id}/navigate`, { url: `${pages.url}/?title=lost` });
    expect(lost.status).toBe(409);
    // (or, if reconciliation already ended the session, 409 saying it is orphaned)
    expect(String(lost.body.error)).toMatch(new RegExp(`${doomed.ownerInstanceId}|orphaned`));
    // ...and once its heartbeat lapsed (15 s), closing the session ends it in the database.
    const started = Date.now();
    const { value: closed } = await waitFor('the dead owner to lapse', 30_000, async () => {
      const res = await call('DELETE', `/browser/sessions/${doomed.id}`);
      if (res.status === 200) return session(res);
      expect(res.status).toBe(409);
      await sleep(500);
      return undefined;
    });
    expect(['closed', 'orphaned']).toContain(closed.status);
    // A new session opens on the survivor; closing the kept one still works.
    const fresh = await open('after');
    expect(fresh.ownerInstanceId).toBe(kept.ownerInstanceId);
    for (const s of [fresh, kept]) expect(session(await call('DELETE', `/browser/sessions/${s.id}`)).status).toBe('closed');
    report(
      'balancer SIGKILL',
      `${statuses.length} calls (${statuses.length - killedAt} after the kill) all 200; the dead owner's session: 409 naming it, closable ${Math.round((Date.now() - started) / 1000)} s later (status ${closed.status})`,
    );
    // The calls after the kill did meet the dead instance: nginx was refused and sent them on.
    expect(nginx.errors()).toMatch(new RegExp(`Connection refused\\) while connecting to upstream.*upstream: "http://127\\.0\\.0\\.1:${victim.port}/`));
    expect(nginx.errors()).not.toMatch(/\[(emerg|alert|crit)\]/);
  });
});
