import path from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { serverOnlyAlias } from './vitest.server-only.mts';

const UNIT_EXCLUDED = ['**/*.integration.test.ts', '**/*.process.test.ts'];

/**
 * Three projects, told apart by file name (STYLE.md): `unit` (`*.test.ts`, no services, no build), `integration`
 * (`*.integration.test.ts`: real SQLite, PostgreSQL, Redis, HTTP) and `process` (`*.process.test.ts`: real console
 * processes on the build). `vitest run` runs all three; `npm run test:unit` only `--project unit`.
 */
export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname, 'src'), ...serverOnlyAlias } },
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: keep parallelism modest; every test isolates its own data (temp dirs, schemas, key prefixes).
    maxWorkers: 2,
    projects: [
      // Playwright specs live in e2e/ and must not be picked up here: every project includes src/ and scripts/ only.
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'], exclude: [...configDefaults.exclude, ...UNIT_EXCLUDED] } },
      { extends: true, test: { name: 'integration', include: ['src/**/*.integration.test.ts', 'scripts/**/*.integration.test.ts'] } },
      { extends: true, test: { name: 'process', include: ['src/**/*.process.test.ts', 'scripts/**/*.process.test.ts'] } },
    ],
  },
});
