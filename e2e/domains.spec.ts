import { type Page, expect, test } from '@playwright/test';
import { signIn } from './support';

async function runNow(page: Page, key: string) {
  await page.goto('/automations');
  const card = page.getByTestId(`card-${key}`);
  await card.getByRole('button', { name: 'Run now' }).click();
  await expect(card.getByRole('status').last()).toContainText(/Run finished in/, { timeout: 30_000 });
}

// One story, in order: the demo fleet gives the poll real servers, the poll gives the rules real samples, the
// rules open incidents; then a browser session in the real Chromium.
test.describe.serial('the domains, end to end in the console', () => {
  test('load the demo fleet, poll it, and see the servers up', async ({ page }) => {
    await signIn(page);
    await page.getByRole('link', { name: 'Inference' }).click();
    await page.getByRole('button', { name: 'Load demo data' }).click();
    await expect(page.locator('article[data-testid^="server-"]')).toHaveCount(5);
    await runNow(page, 'inference-monitoring-poll');
    await expect(page.getByTestId('card-inference-monitoring-poll')).toContainText(/Servers polled\s*5/);
    await page.goto('/inference');
    // The demo TGI goes down for 45 s every ten minutes, on purpose; the others answer.
    await expect.poll(async () => page.locator('[data-testid="server-status"][data-status="up"]').count()).toBeGreaterThanOrEqual(4);
  });

  test('a rule previews current values, and the evaluation opens incidents shown in the navigation', async ({ page }) => {
    await signIn(page);
    await page.goto('/alerts');
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByLabel('Name').fill('Any latency at all');
    await page.getByLabel('Metric').selectOption('latencyMs');
    await page.getByLabel('Aggregation').selectOption('last');
    await page.getByLabel('Operator').selectOption('>=');
    await page.getByLabel(/^Threshold/).fill('0');
    await expect.poll(async () => page.getByTestId('preview-row').count()).toBeGreaterThanOrEqual(4);
    await page.getByRole('button', { name: 'Create rule' }).click();
    await expect(page.getByRole('cell', { name: 'Any latency at all' })).toBeVisible();

    await runNow(page, 'alert-evaluation');
    await expect(page.getByTestId('card-alert-evaluation')).toContainText(/Rules fired\s*1/);
    await expect(page.getByTestId('incident-badge')).toBeVisible({ timeout: 15_000 });
    await page.getByRole('link', { name: /Incidents/ }).click();
    await expect.poll(async () => page.getByTestId('incident-row').count()).toBeGreaterThanOrEqual(4);
  });

  test('a webhook channel chosen as Standard Webhooks in the rule form gets a whsec_ secret, shown once', async ({ page }) => {
    await signIn(page);
    await page.goto('/alerts');
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByLabel('Name').fill('Standard Webhooks receiver');
    await page.getByLabel('Metric').selectOption('up');
    await page.getByLabel('Operator').selectOption('<');
    await page.getByLabel(/^Threshold/).fill('1');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByLabel('Channel 1 URL').fill('https://hooks.example.com/standard');
    await expect(page.getByLabel('Channel 1 signature scheme')).toHaveValue('x-alert-signature');
    await page.getByLabel('Channel 1 signature scheme').selectOption('standard-webhooks');
    await expect(page.getByLabel('Channel 1 signing secret')).toHaveAttribute('placeholder', /whsec_/);
    // Disabled: nothing is evaluated or sent to the example receiver.
    await page.getByRole('checkbox', { name: 'Enabled' }).uncheck();
    await page.getByRole('button', { name: 'Create rule' }).click();
    await expect(page.locator('code', { hasText: /^whsec_[A-Za-z0-9+/]{43}=$/ })).toBeVisible();
  });

  test('a browser session opens in the real Chromium, shows in the reaper metrics, and closes', async ({ page, baseURL }) => {
    await signIn(page);
    await page.getByRole('link', { name: 'Browser sessions' }).click();
    await page.getByLabel(/Start URL/).fill(`${baseURL}/login`);
    await page.getByRole('button', { name: 'Open session' }).click();
    const card = page.locator('article[data-testid^="session-"]').first();
    await expect(card.getByTestId('session-status')).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });

    await page.goto('/automations');
    const reaper = page.getByTestId('card-browser-session-reaper');
    await expect(reaper).toContainText(/Live sessions\s*1/);
    await expect(reaper).toContainText(/Browser connected\s*Yes/);

    await page.getByRole('link', { name: 'Browser sessions' }).click();
    await card.getByRole('button', { name: 'Close' }).click();
    await card.getByRole('button', { name: 'Close it' }).click();
    await expect(card.getByTestId('session-status')).toHaveAttribute('data-status', 'closed');
  });
});
