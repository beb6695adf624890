import { execFileSync } from 'node:child_process';
import { type Page, expect } from '@playwright/test';
import { E2E_ADMIN } from '../playwright.config';

/** Every page of the signed-in console (the shell's navigation and the account page). */
export const CONSOLE_PAGES = [
  '/automations',
  '/inference',
  '/alerts',
  '/incidents',
  '/browser',
  '/tenants',
  '/admin/tokens',
  '/admin/operators',
  '/admin/audit',
  '/account',
] as const;

/** Signs in through the login form (the e2e admin unless told otherwise) and waits for the board. */
export async function signIn(page: Page, email = E2E_ADMIN.email, password = E2E_ADMIN.password): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Automations', exact: true })).toBeVisible();
}

/** Runs the admin CLI against the e2e server's data directory with `stdin` piped to it; returns its last line. */
export function cli(stdin: string, ...args: string[]): string {
  const out = execFileSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/cli.ts', ...args], {
    env: { ...process.env, DATA_DIR: process.env.E2E_DATA_DIR, DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    input: stdin,
  });
  return out.trim().split('\n').at(-1) ?? '';
}
