import * as local from './local-services';

/**
 * Real services for integration tests. PostgreSQL and Redis come from DATABASE_URL / REDIS_URL, or the local
 * servers on their standard ports. When one is unreachable the tests that need it are skipped — except in CI
 * (CI=true), where a missing service is a failure, never a silent skip.
 */
export const POSTGRES_URL = process.env.DATABASE_URL ?? local.DEFAULT_POSTGRES_URL;
export const REDIS_URL = process.env.REDIS_URL ?? local.DEFAULT_REDIS_URL;

const reach: local.ReachOptions = { throwWhenMissing: process.env.CI === 'true' };
export const postgresAvailable: boolean = await local.postgresReachable(POSTGRES_URL, reach);
export const redisAvailable: boolean = await local.redisReachable(REDIS_URL, reach);

export { tempDir, uniqueId } from './local-services';

/** Drops a test's PostgreSQL schema. */
export function dropSchema(schema: string): Promise<void> {
  return local.dropSchema(POSTGRES_URL, schema);
}

/** Deletes every Redis key under a prefix of ours. */
export function deleteRedisPrefix(prefix: string): Promise<void> {
  return local.deleteRedisPrefix(REDIS_URL, prefix);
}
