import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteRedisKeys } from './redis-keys';

/**
 * Real services for integration tests. PostgreSQL and Redis come from DATABASE_URL / REDIS_URL, or the local
 * servers on their standard ports. When one is unreachable the tests that need it are skipped — except in CI
 * (CI=true), where a missing service is a failure, never a silent skip.
 */
export const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function reachable(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    return false;
  }
}

export const postgresAvailable: boolean = await reachable(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  await client.end();
});

export const redisAvailable: boolean = await reachable(async () => {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
});

/** A short random id for schemas, key prefixes and instance ids. */
export function uniqueId(label: string): string {
  return `${label}_${randomBytes(5).toString('hex')}`;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ac-${label}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Drops a test's PostgreSQL schema. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Deletes every Redis key under a prefix of ours. */
export function deleteRedisPrefix(prefix: string): Promise<void> {
  return deleteRedisKeys(REDIS_URL, prefix);
}
