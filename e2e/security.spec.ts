import { expect, test } from '@playwright/test';
import { CONSOLE_PAGES, signIn } from './support';

// Every page works under its Content Security Policy: nothing the console itself ships is refused, so a policy
// strict enough to stop injected scripts costs the operator nothing.
test('no page of the console violates its own Content Security Policy', async ({ page }) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`),
    );
  });
  await signIn(page);
  await expect(page.getByTestId('live-status')).toHaveText(/Live/);
  for (const path of CONSOLE_PAGES) {
    await page.goto(path);
    await expect(page.locator('main').first()).toBeVisible();
    // Hydrated: the page's client code ran (a refused script would leave the server HTML inert).
    await page.waitForFunction(() => document.querySelector('nav a[aria-current="page"]') !== null || document.readyState === 'complete');
    const violations = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
    expect(violations, path).toEqual([]);
  }
});
