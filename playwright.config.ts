import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

// One data directory per test run, shared by the server and the workers (they inherit the environment).
process.env.E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'ac-e2e-'));
const port = Number(process.env.E2E_PORT ?? 3210);
export const E2E_ADMIN = { email: 'admin@e2e.test', password: 'e2e-admin-password' };

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  webServer: {
    command: 'node scripts/start.mjs',
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PORT: String(port),
      DATA_DIR: process.env.E2E_DATA_DIR,
      CONSOLE_ADMIN_EMAIL: E2E_ADMIN.email,
      CONSOLE_ADMIN_PASSWORD: E2E_ADMIN.password,
      LOG_LEVEL: 'warn',
      // The demo fleet gives the inference and alert pages real servers to poll.
      DEMO_FLEET: 'on',
      DEMO_FLEET_PORT: String(port + 1),
      // The browser-session spec opens the console's own login page: exactly that listener, nothing else on loopback.
      OUTBOUND_ALLOW_BROWSER: `127.0.0.1:${port}`,
      // The e2e suite runs on the embedded default whatever the surrounding environment says.
      DATABASE_URL: '',
      REDIS_URL: '',
    },
  },
});
