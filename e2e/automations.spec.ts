import { expect, test } from '@playwright/test';
import { cli, signIn } from './support';

test('sign in, see the four automations, pause with a reason and resume', async ({ page }) => {
  await signIn(page);
  const cards = page.locator('article[data-testid^="card-"]');
  await expect(cards).toHaveCount(4);
  await expect(page.getByTestId('live-status')).toHaveText(/Live/);

  const card = page.getByTestId('card-inference-monitoring-poll');
  await card.getByRole('button', { name: 'Pause' }).click();
  const dialog = page.getByRole('dialog', { name: /Pause Inference Poll Scheduler/ });
  await dialog.getByLabel(/Reason/).fill('e2e maintenance');
  await dialog.getByRole('button', { name: 'Pause' }).click();
  await expect(card.getByTestId('state-badge')).toHaveAttribute('data-state', 'paused');
  await expect(card.getByTestId('pause-details')).toContainText('e2e maintenance');

  await page.reload();
  await expect(card.getByTestId('state-badge')).toHaveAttribute('data-state', 'paused');

  await card.getByRole('button', { name: 'Resume' }).click();
  await expect(card.getByTestId('state-badge')).not.toHaveAttribute('data-state', 'paused');
  await expect(card.getByRole('status').last()).toContainText('Resumed');
});

test('run now reports what happened; a change made through REST reaches the open board without reload', async ({ page, request }) => {
  await signIn(page);
  const card = page.getByTestId('card-browser-session-reconciliation');
  await card.getByRole('button', { name: 'Run now' }).click();
  await expect(card.getByRole('status').last()).toContainText(/Run finished in/);
  await expect(card.getByTestId('last-completed')).not.toHaveText('never');

  const token = cli('', 'tokens', 'create', '--name', `e2e-${Date.now()}`, '--scopes', 'automations:read,automations:write');
  expect(token).toMatch(/^cpeer_/);
  const alerts = page.getByTestId('card-alert-evaluation');
  await expect(alerts.getByTestId('state-badge')).not.toHaveAttribute('data-state', 'paused');
  const res = await request.post('/api/client/v1/automations/alert-evaluation/pause', {
    headers: { authorization: `Bearer ${token}` },
    data: { reason: 'paused over REST' },
  });
  expect(res.status()).toBe(200);
  await expect(alerts.getByTestId('state-badge')).toHaveAttribute('data-state', 'paused');
  await expect(alerts.getByTestId('pause-details')).toContainText('paused over REST');
  await request.post('/api/client/v1/automations/alert-evaluation/resume', { headers: { authorization: `Bearer ${token}` } });
  await expect(alerts.getByTestId('state-badge')).not.toHaveAttribute('data-state', 'paused');
});

test('a viewer sees the board but no control buttons', async ({ page }) => {
  cli('viewer-password', 'users', 'create', '--email', 'viewer@e2e.test', '--role', 'viewer');
  await signIn(page, 'viewer@e2e.test', 'viewer-password');
  await expect(page.locator('article[data-testid^="card-"]')).toHaveCount(4);
  await expect(page.getByRole('button', { name: /Run now|Pause|Resume/ })).toHaveCount(0);
});

test('a token created in the console works against REST, and once revoked gets 401', async ({ page, request }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'API tokens' }).click();
  const name = `ui-token-${Date.now()}`;
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('automations:write').check();
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('token-value').textContent()) ?? '';
  expect(token).toMatch(/^cpeer_/);

  const ok = await request.get('/api/client/v1/automations', { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);
  expect(((await ok.json()) as { automations: unknown[] }).automations).toHaveLength(4);

  await page.getByTestId(`token-row-${name}`).getByRole('button', { name: 'Revoke' }).click();
  await page
    .getByRole('dialog', { name: `Revoke token “${name}”?` })
    .getByRole('button', { name: 'Revoke token' })
    .click();
  await expect(page.getByTestId(`token-row-${name}`)).toContainText('revoked');
  const refused = await request.get('/api/client/v1/automations', { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);

  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('table')).toContainText('token.revoke');
});

test('run history lists runs with their outcome; instances panel shows this instance', async ({ page }) => {
  await signIn(page);
  const card = page.getByTestId('card-alert-evaluation');
  await card.getByRole('button', { name: 'Run now' }).click();
  await expect(card.getByRole('status').last()).toContainText(/Run finished in/);
  await card.getByRole('button', { name: 'History' }).click();
  const history = page.getByTestId('run-history');
  await expect(history.getByRole('heading')).toContainText('Alert Evaluation');
  await expect(history.getByRole('row').nth(1)).toContainText('console');
  await expect(history.getByRole('row').nth(1)).toContainText('succeeded');
  await expect(page.getByTestId('instances-panel')).toContainText('live');
});
