import { expect, test } from '@playwright/test';
import { signIn } from './support';

// Not a check: produces docs/images/{board,inference,alerts}-{desktop,phone}-{light,dark}.png when asked
// (UI_SCREENSHOTS=1 npx playwright test e2e/screenshots.spec.ts, after `npm run build`); skipped otherwise.
// docs/ui.md says how the PNGs are then made small.

const PAGES = [
  { name: 'board', path: '/automations' },
  { name: 'inference', path: '/inference' },
  { name: 'alerts', path: '/alerts' },
] as const;
const WIDTHS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

test('screenshots of the board, Inference and Alert rules at both widths, light and dark', async ({ page }) => {
  test.skip(!process.env.UI_SCREENSHOTS, 'set UI_SCREENSHOTS=1 to refresh docs/images');
  test.setTimeout(180_000);
  await signIn(page);
  await page.goto('/inference');
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
  const demo = page.getByRole('button', { name: 'Load demo data' });
  if (await demo.isVisible()) await demo.click();
  await expect(page.locator('article[data-testid^="server-"]')).toHaveCount(5);
  // Charts need two samples of a server: the scheduled poll brings the second within a minute.
  await page.goto('/automations');
  const card = page.getByTestId('card-inference-monitoring-poll');
  await card.getByRole('button', { name: 'Run now' }).click();
  await expect(card.getByTestId('card-feedback')).toContainText(/Run finished/, { timeout: 30_000 });
  await page.goto('/inference');
  await expect.poll(() => page.locator('figure svg[role="img"]').count(), { timeout: 100_000 }).toBeGreaterThanOrEqual(8);
  await page.goto('/alerts');
  if ((await page.getByTestId('rule-row').count()) === 0) {
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByLabel('Name').fill('Latency over 2 s');
    await page.getByLabel('Metric').selectOption('latencyMs');
    await page.getByLabel(/^Threshold/).fill('2000');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await expect(page.getByTestId('rule-row')).toHaveCount(1);
  }
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const size of WIDTHS) {
      await page.setViewportSize({ width: size.width, height: size.height });
      for (const p of PAGES) {
        await page.goto(p.path);
        await expect(page.getByText(/^Loading/)).toHaveCount(0);
        await page.screenshot({ path: `docs/images/${p.name}-${size.name}-${scheme}.png` });
      }
    }
  }
});
