import { type Page, expect, test } from '@playwright/test';
import { E2E_ADMIN } from '../playwright.config';

async function signIn(page: Page) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E_ADMIN.email);
  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Automations', exact: true })).toBeVisible();
}

test('an admin ends another session of theirs from the Operators page, after confirming; that browser is signed out', async ({ page, browser }) => {
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage);
  await signIn(page);

  await page.goto('/admin/operators');
  await page.getByRole('row', { name: new RegExp(E2E_ADMIN.email) }).getByRole('button', { name: 'Sessions' }).click();
  const panel = page.getByRole('region', { name: `Sessions of ${E2E_ADMIN.email}` });
  await expect(panel.getByRole('row')).toHaveCount(3); // header + this session + the other browser's
  await expect(panel.getByText('(this session)')).toBeVisible();

  const otherRow = panel.getByRole('row').filter({ hasNotText: '(this session)' }).filter({ has: page.getByRole('button', { name: 'End' }) });
  await otherRow.getByRole('button', { name: 'End' }).click();
  const dialog = page.getByRole('dialog', { name: `End this session of ${E2E_ADMIN.email}?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'End session' }).click();
  await expect(panel.getByRole('status')).toHaveText(`Ended 1 session of ${E2E_ADMIN.email}.`);
  await expect(panel.getByRole('row')).toHaveCount(2);

  await otherPage.goto('/admin/operators');
  await expect(otherPage).toHaveURL(/\/login/);
  await other.close();
});
