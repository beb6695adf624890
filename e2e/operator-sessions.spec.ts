import { expect, test } from '@playwright/test';
import { cli, signIn } from './support';

// An admin of its own, so the sessions listed are exactly this test's two (other specs sign the e2e admin in too).
const ADMIN = { email: 'sessions-admin@e2e.test', password: 'sessions-admin-password' };

test('an admin ends another session of theirs from the Operators page, after confirming; that browser is signed out', async ({ page, browser }) => {
  cli(ADMIN.password, 'users', 'create', '--email', ADMIN.email, '--role', 'admin');
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, ADMIN.email, ADMIN.password);
  await signIn(page, ADMIN.email, ADMIN.password);

  await page.goto('/admin/operators');
  await page
    .getByRole('row', { name: new RegExp(ADMIN.email) })
    .getByRole('button', { name: 'Sessions' })
    .click();
  const panel = page.getByRole('region', { name: `Sessions of ${ADMIN.email}` });
  await expect(panel.getByRole('row')).toHaveCount(3); // header + this session + the other browser's
  await expect(panel.getByText('(this session)')).toBeVisible();

  const otherRow = panel
    .getByRole('row')
    .filter({ hasNotText: '(this session)' })
    .filter({ has: page.getByRole('button', { name: 'End' }) });
  await otherRow.getByRole('button', { name: 'End' }).click();
  const dialog = page.getByRole('dialog', { name: `End this session of ${ADMIN.email}?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'End session' }).click();
  await expect(panel.getByRole('status')).toHaveText(`Ended 1 session of ${ADMIN.email}.`);
  await expect(panel.getByRole('row')).toHaveCount(2);

  await otherPage.goto('/admin/operators');
  await expect(otherPage).toHaveURL(/\/login/);
  await other.close();
});
