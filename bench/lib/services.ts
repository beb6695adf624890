import { type Container, createContainer } from '../../src/server/container';
import * as local from '../../src/server/testing/local-services';
import { systemCaller } from '../../src/server/auth/caller';

/** The local services, as the integration tests find them (DATABASE_URL / REDIS_URL override). */
export const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? local.DEFAULT_POSTGRES_URL;
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? local.DEFAULT_REDIS_URL;

/** The bench runs on without a missing service: the benchmarks that need it are left out of the run. */
export function postgresReachable(): Promise<boolean> {
  return local.postgresReachable(POSTGRES_URL, { throwWhenMissing: false });
}

export function redisReachable(): Promise<boolean> {
  return local.redisReachable(REDIS_URL, { throwWhenMissing: false });
}

export function uniqueId(label: string): string {
  return local.uniqueId(`bench_${label.replace(/[^a-z0-9_]/g, '_')}`);
}

/** Where a benchmark keeps its data, and how to remove it afterwards. */
export interface Topology {
  label: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** SQLite in a fresh temporary directory, with in-process locks or (with `redis`) Redis under an own key prefix. */
export function sqliteTopology(label: string, options: { redis: boolean } = { redis: false }): Topology {
  const temp = local.tempDir(`bench-${label}`);
  const prefix = `${uniqueId(label)}:`;
  return {
    label: options.redis ? 'SQLite + Redis locks' : 'SQLite + in-process locks',
    env: options.redis ? { DATA_DIR: temp.dir, REDIS_URL, REDIS_PREFIX: prefix } : { DATA_DIR: temp.dir },
    async cleanup() {
      if (options.redis) await local.deleteRedisPrefix(REDIS_URL, prefix);
      temp.cleanup();
    },
  };
}

/** PostgreSQL in an own schema (and, with `redis`, Redis under an own key prefix). */
export function postgresTopology(label: string, options: { redis: boolean }): Topology {
  const id = uniqueId(label);
  const temp = local.tempDir(`bench-${label}`);
  const env: Record<string, string> = { DATA_DIR: temp.dir, DATABASE_URL: POSTGRES_URL, DATABASE_SCHEMA: id };
  if (options.redis) Object.assign(env, { REDIS_URL, REDIS_PREFIX: `${id}:` });
  return {
    label: options.redis ? 'PostgreSQL + Redis' : 'PostgreSQL',
    env,
    async cleanup() {
      await local.dropSchema(POSTGRES_URL, id);
      if (options.redis) await local.deleteRedisPrefix(REDIS_URL, `${id}:`);
      temp.cleanup();
    },
  };
}

/** A container on a topology's data, for seeding and for making tokens; the scheduler is never started. */
export async function openContainer(topology: Topology, extra: Record<string, string> = {}): Promise<{ c: Container; close(): Promise<void> }> {
  const c = await createContainer({ LOG_LEVEL: 'silent', INSTANCE_ID: uniqueId('seed'), ...topology.env, ...extra });
  return { c, close: () => c.close() };
}

/** Creates an API token with every automations scope on a topology's data. */
export async function createToken(topology: Topology, name: string): Promise<string> {
  const handle = await openContainer(topology);
  try {
    return (
      await handle.c.tokens.create(systemCaller('bench', 'api'), { name, scopes: ['automations:read', 'automations:write', 'browser:read', 'browser:write'] })
    ).token;
  } finally {
    await handle.close();
  }
}
