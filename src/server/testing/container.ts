import { type Container, createContainer } from '../container';
import { waitUntilReady } from '../coordination/redis-connection';
import { TEST_OUTBOUND_ENV } from './outbound';
import { POSTGRES_URL, REDIS_URL, deleteRedisPrefix, dropSchema, postgresAvailable, redisAvailable, tempDir, uniqueId } from './services';

/** Tests in the domains take the container's type from here: they may not import the composition root. */
export type { Container };

export type Topology = 'sqlite-local' | 'postgres-redis';

/** Both topologies with whether this machine has what each needs: `describe.each(TOPOLOGIES)` runs a suite on both. */
export const TOPOLOGIES: ReadonlyArray<readonly [Topology, boolean]> = [
  ['sqlite-local', true],
  ['postgres-redis', postgresAvailable && redisAvailable],
];

export interface TestContainer {
  c: Container;
  /** Environment that builds another container on the same data (a second instance, or a restart). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A real container for one test: SQLite in a temp dir with in-process locks, or PostgreSQL (own schema) with
 * Redis (own key prefix). The scheduler is not started; tests drive ticks and runs themselves.
 */
export async function testContainer(topology: Topology, extraEnv: Record<string, string> = {}, shared?: Record<string, string>): Promise<TestContainer> {
  const id = uniqueId('t');
  const temp = shared ? null : tempDir(id);
  const env: Record<string, string> =
    shared ??
    (topology === 'sqlite-local'
      ? { DATA_DIR: temp?.dir ?? '' }
      : { DATA_DIR: temp?.dir ?? '', DATABASE_URL: POSTGRES_URL, DATABASE_SCHEMA: id, REDIS_URL, REDIS_PREFIX: `${id}:` });
  const c = await createContainer({ LOG_LEVEL: 'silent', INSTANCE_ID: `${id}-a`, ...TEST_OUTBOUND_ENV, ...env, ...extraEnv });
  if (c.redis) await waitUntilReady(c.redis.commands, 5000);
  await c.instances.register({});
  return {
    c,
    env,
    async close() {
      await c.close();
      if (!shared) {
        if (env.DATABASE_SCHEMA) await dropSchema(env.DATABASE_SCHEMA);
        if (env.REDIS_PREFIX) await deleteRedisPrefix(env.REDIS_PREFIX);
        temp?.cleanup();
      }
    },
  };
}
