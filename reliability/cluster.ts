import { type ChildProcess, spawn } from 'node:child_process';
import { type ConsoleProcess, ensureBuild, startConsole } from '../src/server/testing/console-process';
import { freePort } from '../src/server/testing/free-port';
import { type TestContainer, testContainer } from '../src/server/testing/container';
import { systemCaller } from '../src/server/auth/caller';

/** How many slots the schedule checks cover: a bounded number in CI, the full figures with RELIABILITY_FULL=1. */
export const FULL = process.env.RELIABILITY_FULL === '1';
export const SLOTS = Number(process.env.RELIABILITY_SLOTS ?? (FULL ? 120 : 20));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Redis server of the test's own, so the test can stop and start it without touching anyone else's. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await portOpen(this.port)) return;
      await sleep(50);
    }
    throw new Error(`private redis on ${this.port} did not start`);
  }

  /** Stops it hard, as an outage would. */
  async down(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

async function portOpen(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Cluster {
  /** A container on the cluster's database and Redis, for reading run records and making tokens. */
  shared: TestContainer;
  instances: ConsoleProcess[];
  /** The latest process started under each instance id. */
  byId: Map<string, ConsoleProcess>;
  env: Record<string, string>;
  token: string;
  /** Starts (or restarts) an instance with the given id and extra environment. */
  start(id: string, extra?: Record<string, string>): Promise<ConsoleProcess>;
  api(
    instance: ConsoleProcess,
    path: string,
    init?: { method?: string; body?: unknown; token?: string },
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/**
 * Real consoles (`next start`) sharing one PostgreSQL schema and one Redis (the local one under a fresh prefix,
 * or a private server the test controls). Every instance gets CONSOLE_ADMIN_PASSWORD and a token for the API.
 */
export async function startCluster(options: { ids: string[]; env?: Record<string, string>; redisUrl?: string }): Promise<Cluster> {
  ensureBuild();
  const shared = await testContainer('postgres-redis', options.redisUrl ? { REDIS_URL: options.redisUrl } : {});
  const env: Record<string, string> = {
    ...shared.env,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    CONSOLE_ADMIN_PASSWORD: 'reliability-password',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    ...options.env,
  };
  const { token } = await shared.c.tokens.create(systemCaller('reliability', 'api'), {
    name: 'reliability',
    scopes: ['automations:read', 'automations:write', 'metrics:read'],
  });
  const instances: ConsoleProcess[] = [];
  const byId = new Map<string, ConsoleProcess>();
  const cluster: Cluster = {
    shared,
    instances,
    byId,
    env,
    token,
    async start(id, extra = {}) {
      const p = await startConsole({ ...env, INSTANCE_ID: id, ...extra });
      instances.push(p);
      byId.set(id, p);
      return p;
    },
    async api(instance, path, init = {}) {
      const res = await fetch(`${instance.url}/api/client/v1${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${init.token ?? token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = { raw: text };
      }
      return { status: res.status, headers: res.headers, body };
    },
    async stop() {
      await Promise.all(instances.map((p) => p.stop('SIGKILL')));
      await shared.close();
    },
  };
  await Promise.all(options.ids.map((id) => cluster.start(id)));
  return cluster;
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<{ value: T; elapsedMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return { value, elapsedMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Figures printed by the battery, collected for docs/reliability.md. */
export function report(item: string, figure: string): void {
  console.log(`[reliability] ${item}: ${figure}`);
}
