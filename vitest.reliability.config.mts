import { defineConfig } from 'vitest/config';

/** The reliability battery: real console processes on PostgreSQL and Redis, one file at a time. */
export default defineConfig({
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
