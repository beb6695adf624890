import { defineConfig } from 'vitest/config';
import { serverOnlyAlias } from './vitest.server-only.mts';

/** The reliability battery: real console processes on PostgreSQL and Redis, one file at a time. */
export default defineConfig({
  resolve: { alias: serverOnlyAlias },
  test: {
    environment: 'node',
    include: ['reliability/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
