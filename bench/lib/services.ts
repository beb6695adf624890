import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type Container, createContainer } from '../../src/server/container';
import { deleteRedisKeys } from '../../src/server/testing/redis-keys';

/** The local services, as the integration tests find them (DATABASE_URL / REDIS_URL override). */
export const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export async function redisReachable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export function uniqueId(label: string): string {
  return `bench_${label.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
}

/** Where a benchmark keeps its data, and how to remove it afterwards. */
export interface Topology {
  label: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** SQLite in a fresh temporary directory, with in-process locks or (with `redis`) Redis under an own key prefix. */
export function sqliteTopology(label: string, options: { redis: boolean } = { redis: false }): Topology {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ac-bench-${label}-`));
  const prefix = `${uniqueId(label)}:`;
  return {
    label: options.redis ? 'SQLite + Redis locks' : 'SQLite + in-process locks',
    env: options.redis ? { DATA_DIR: dir, REDIS_URL, REDIS_PREFIX: prefix } : { DATA_DIR: dir },
    async cleanup() {
      if (options.redis) await deleteRedisPrefix(prefix);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL in an own schema (and, with `redis`, Redis under an own key prefix). */
export function postgresTopology(label: string, options: { redis: boolean }): Topology {
  const id = uniqueId(label);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ac-bench-${label}-`));
  const env: Record<string, string> = { DATA_DIR: dir, DATABASE_URL: POSTGRES_URL, DATABASE_SCHEMA: id };
  if (options.redis) Object.assign(env, { REDIS_URL, REDIS_PREFIX: `${id}:` });
  return {
    label: options.redis ? 'PostgreSQL + Redis' : 'PostgreSQL',
    env,
    async cleanup() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${id}" CASCADE`);
      } finally {
        await client.end();
      }
      if (options.redis) await deleteRedisPrefix(`${id}:`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Deletes every Redis key under a prefix of ours. */
function deleteRedisPrefix(prefix: string): Promise<void> {
  return deleteRedisKeys(REDIS_URL, prefix);
}

/** A container on a topology's data, for seeding and for making tokens; the scheduler is never started. */
export async function openContainer(topology: Topology, extra: Record<string, string> = {}): Promise<{ c: Container; close(): Promise<void> }> {
  const c = await createContainer({ LOG_LEVEL: 'silent', INSTANCE_ID: uniqueId('seed'), ...topology.env, ...extra });
  return {
    c,
    async close() {
      await c.bus.close();
      c.redis?.commands.disconnect();
      c.redis?.subscriber.disconnect();
      await c.database.close();
    },
  };
}

/** Creates an API token with every automations scope on a topology's data. */
export async function createToken(topology: Topology, name: string): Promise<string> {
  const handle = await openContainer(topology);
  try {
    return (await handle.c.tokens.create({ name, scopes: ['automations:read', 'automations:write', 'browser:read', 'browser:write'] }, 'bench')).token;
  } finally {
    await handle.close();
  }
}
