import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * The local PostgreSQL and Redis, and the real console processes started against them: what the integration tests
 * (through ./services and ./console-process) and the benchmarks (bench/lib) both need. Nothing here runs on import,
 * and nothing reads the environment: each caller says which URL it means and what a missing service means to it.
 */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** A short random id for schemas, key prefixes and instance ids. */
export function uniqueId(label: string): string {
  return `${label}_${randomBytes(5).toString('hex')}`;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ac-${label}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** What an unreachable service means to the caller: tests in CI fail on it, the bench and local tests run on without it. */
export interface ReachOptions {
  throwWhenMissing: boolean;
}

async function reachable(check: () => Promise<unknown>, options: ReachOptions): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (error) {
    if (options.throwWhenMissing) throw error;
    return false;
  }
}

/** Whether a PostgreSQL server answers at `url` within two seconds. */
export function postgresReachable(url: string, options: ReachOptions): Promise<boolean> {
  return reachable(async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await client.connect();
    await client.end();
  }, options);
}

/** Whether a Redis server answers a PING at `url` within two seconds. */
export function redisReachable(url: string, options: ReachOptions): Promise<boolean> {
  return reachable(async () => {
    const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  }, options);
}

/** Drops a PostgreSQL schema of ours (a test's or a benchmark's) with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Deletes every key under `prefix` (a test's or a benchmark's own key prefix) on the Redis at `url`. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Environment every console child gets on top of the caller's: no telemetry, signals handled by the app, quiet logs. */
export const CONSOLE_CHILD_ENV: Readonly<Record<string, string>> = {
  NEXT_TELEMETRY_DISABLED: '1',
  NEXT_MANUAL_SIG_HANDLE: 'true',
  LOG_LEVEL: 'warn',
};

/**
 * Waits until `url + readyPath` answers 200 (the console's /api/health answers once its container is built, i.e.
 * migrations ran). Throws with the child's output when it exits first, or, after killing it, when `timeoutMs` passes.
 */
export async function waitUntilServing(server: {
  child: ChildProcess;
  url: string;
  readyPath: string;
  label: string;
  output(): string;
  timeoutMs: number;
}): Promise<void> {
  const deadline = Date.now() + server.timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`${server.label} exited with ${server.child.exitCode}:\n${server.output()}`);
    try {
      const res = await fetch(`${server.url}${server.readyPath}`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      server.child.kill('SIGKILL');
      throw new Error(`${server.label} did not become ready within ${Math.round(server.timeoutMs / 1000)} s:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
