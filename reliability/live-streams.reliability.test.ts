import net from 'node:net';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleProcess } from '../src/server/testing/console-process';
import { type Cluster, report, sleep, startCluster } from './cluster';

/**
 * The live lists as a generic client follows them: the `eventsource` npm package (the WHATWG EventSource of
 * browsers, for Node) against a real console over real HTTP, through a TCP relay the test can cut.
 */

interface Received {
  id: string;
  data: string;
}

/** A TCP relay to the console that can drop every connection and refuse new ones, and records every request head. */
class Relay {
  readonly heads: string[] = [];
  private readonly sockets = new Set<net.Socket>();
  private down = false;
  private server: net.Server | null = null;
  port = 0;

  constructor(private readonly target: ConsoleProcess) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      if (this.down) return client.destroy();
      const upstream = net.connect(this.target.port, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      // Every request head sent on the connection (fetch keeps connections alive and reuses them).
      client.on('data', (chunk: Buffer) => {
        const text = chunk.toString('latin1');
        for (const match of text.matchAll(/^(?:GET|POST) [^\r\n]+\r\n[\s\S]*?\r\n\r\n/gm)) this.heads.push(match[0]);
      });
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.down = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

function follow(url: string, cookie: string | null): { es: EventSource; events: Received[]; errors: Array<{ code?: number }> } {
  const events: Received[] = [];
  const errors: Array<{ code?: number }> = [];
  const es = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...(cookie ? { cookie } : {}) } }),
  });
  es.onmessage = (event) => events.push({ id: event.lastEventId, data: event.data });
  es.onerror = (event) => errors.push({ code: (event as unknown as { code?: number }).code });
  return { es, events, errors };
}

async function until<T>(what: string, timeoutMs: number, check: () => T | undefined | false): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

async function signIn(p: ConsoleProcess): Promise<string> {
  const res = await fetch(`${p.url}/api/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@console.local', password: 'reliability-password' }),
  });
  await res.arrayBuffer();
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith('ac_session='));
  if (res.status !== 200 || !cookie) throw new Error(`sign-in answered ${res.status}`);
  return cookie;
}

const kindOf = (e: Received) => (JSON.parse(e.data) as { kind: string }).kind;

describe('live streams followed by an EventSource client', () => {
  let cluster: Cluster;
  let consoleA: ConsoleProcess;
  beforeAll(async () => {
    cluster = await startCluster({ ids: ['live-es'] });
    consoleA = cluster.instances[0] as ConsoleProcess;
  }, 240_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a client that reconnects with Last-Event-ID receives exactly the events it missed, and pings in between', async () => {
    const cookie = await signIn(consoleA);
    const relay = new Relay(consoleA);
    await relay.start();
    const observer = follow(`${consoleA.url}/api/trpc/automations.onChange`, cookie);
    const client = follow(`http://127.0.0.1:${relay.port}/api/trpc/automations.onChange`, cookie);
    try {
      await until('both snapshots', 15_000, () => observer.events.length > 0 && client.events.length > 0);
      expect(kindOf(client.events[0] as Received)).toBe('snapshot');
      expect(client.events[0]?.id).toMatch(/^[0-9a-f]+-\d+$/);

      relay.cut();
      const lastSeen = client.events.at(-1) as Received;
      const before = observer.events.length;
      for (const [key, action] of [
        ['alert-evaluation', 'pause'],
        ['inference-monitoring-poll', 'pause'],
        ['alert-evaluation', 'resume'],
      ] as const) {
        const seen = observer.events.length;
        expect((await cluster.api(consoleA, `/automations/${key}/${action}`, { method: 'POST' })).status).toBe(200);
        await until(`the observer's event for ${action} ${key}`, 10_000, () => observer.events.length > seen);
      }
      const missed = observer.events.slice(observer.events.findIndex((e) => e.id === lastSeen.id) + 1);
      expect(observer.events.length - before).toBeGreaterThanOrEqual(3);
      const countBefore = client.events.length;

      relay.restore();
      await until('the client to catch up', 20_000, () => client.events.at(-1)?.id === observer.events.at(-1)?.id);
      await sleep(500);
      const resumed = client.events.slice(countBefore);
      report('live resume', `missed ${missed.length} events while cut; after reconnecting got ${resumed.length}: ${resumed.map(kindOf).join(', ')}`);
      expect(resumed).toEqual(missed);
      expect(resumed.every((e) => kindOf(e) === 'delta')).toBe(true);
      const reconnect = relay.heads.at(-1) ?? '';
      expect(reconnect.toLowerCase()).toContain(`last-event-id: ${lastSeen.id}`);

      // An idle stream gets a comment line within the ping interval (15 s), which EventSource ignores.
      const raw = await fetch(`${consoleA.url}/api/trpc/automations.onChange`, { headers: { accept: 'text/event-stream', cookie } });
      const reader = (raw.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      const started = Date.now();
      while (!text.includes('\n: ping\n') && Date.now() - started < 20_000) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      expect(text).toContain('\n: ping\n');
    } finally {
      observer.es.close();
      client.es.close();
      await relay.stop();
    }
  }, 90_000);

  it('a signed-out client gets 401 and stops; a stream whose session ends reconnects once, gets 401 and stops', async () => {
    const refused = await fetch(`${consoleA.url}/api/trpc/automations.onChange`, { headers: { accept: 'text/event-stream' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHORIZED' });

    const relay = new Relay(consoleA);
    await relay.start();
    const url = `http://127.0.0.1:${relay.port}/api/trpc/automations.onChange`;
    const anonymous = follow(url, null);
    await until('the anonymous client to give up', 10_000, () => anonymous.es.readyState === EventSource.CLOSED);
    const cookie = await signIn(consoleA);
    const live = follow(url, cookie);
    try {
      await until('the snapshot', 15_000, () => live.events.length > 0);
      const logout = await fetch(`${consoleA.url}/api/trpc/auth.logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: '{}',
      });
      expect(logout.status).toBe(200);
      await until('the ended stream to give up', 15_000, () => live.es.readyState === EventSource.CLOSED);
      // Longer than EventSource's 3 s retry: no further attempt comes.
      await sleep(4_000);
      const attempts = relay.heads.filter((h) => h.startsWith('GET /api/trpc/automations.onChange'));
      report(
        'live 401',
        `anonymous: ${anonymous.errors.map((e) => e.code).join(',')}; signed out mid-stream: ${attempts.length - 1} request(s) then ${live.errors.map((e) => e.code ?? 'drop').join(',')}`,
      );
      expect(anonymous.errors.map((e) => e.code)).toEqual([401]);
      // anonymous 1, the live stream 1, its one reconnect after the sign-out 1
      expect(attempts).toHaveLength(3);
      expect(live.errors.at(-1)?.code).toBe(401);
    } finally {
      anonymous.es.close();
      live.es.close();
      await relay.stop();
    }
  }, 60_000);
});
