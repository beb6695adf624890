import AxeBuilder from '@axe-core/playwright';
import { type Page, expect, test } from '@playwright/test';
import { CONSOLE_PAGES, cli, signIn } from './support';

// axe-core on every page at a desktop and a phone width, before and after the console has data, and with each
// dialog open; every serious or critical violation fails the test (all of them are listed, not just the first).
// At the phone width no page may be wider than the viewport.

const WIDTHS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

// The last is the 404, which renders inside the shell.
const PAGES = [...CONSOLE_PAGES, '/no-such-page'];

/** Opens one dialog on the current page; the scan then runs with it open. */
type Opener = { page: string; name: string; open(page: Page): Promise<void> };

const DIALOGS: Opener[] = [
  { page: '/automations', name: 'pause', open: (p) => p.getByTestId('card-alert-evaluation').getByRole('button', { name: 'Pause' }).click() },
  { page: '/inference', name: 'add server', open: (p) => p.getByRole('button', { name: 'Add server' }).click() },
  {
    page: '/alerts',
    name: 'delete rule',
    open: (p) =>
      p
        .getByRole('row', { name: /a11y rule/ })
        .getByRole('button', { name: 'Delete' })
        .click(),
  },
  {
    page: '/tenants',
    name: 'delete tenant',
    open: (p) =>
      p
        .getByRole('row', { name: /a11y tenant/ })
        .getByRole('button', { name: 'Delete' })
        .click(),
  },
  {
    page: '/admin/tokens',
    name: 'revoke token',
    open: (p) =>
      p
        .getByRole('row', { name: /a11y-token/ })
        .getByRole('button', { name: 'Revoke' })
        .click(),
  },
  {
    page: '/admin/operators',
    name: 'change role',
    open: async (p) => {
      await p.getByLabel('Role of a11y-viewer@e2e.test').selectOption('admin');
    },
  },
  {
    page: '/admin/operators',
    name: 'disable operator',
    open: (p) =>
      p
        .getByRole('row', { name: /a11y-viewer/ })
        .getByRole('button', { name: 'Disable' })
        .click(),
  },
];

async function settled(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator('main#main')).toBeVisible();
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
}

/** The serious and critical violations on the page as it is now, one line each. */
async function scan(page: Page, where: string, within?: string): Promise<string[]> {
  const builder = new AxeBuilder({ page });
  if (within) builder.include(within);
  const result = await builder.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map((n) => `${where}: ${v.id} (${v.impact}) ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 2).join('').trim() ?? ''}`),
    );
}

async function overflow(page: Page, where: string): Promise<string[]> {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  return scroll > inner ? [`${where}: page is ${scroll} px wide in a ${inner} px viewport`] : [];
}

/** At phone width every control is at least 44 × 44 px (a checkbox counts by its label; links in prose are exempt). */
async function smallTargets(page: Page, where: string): Promise<string[]> {
  const small = await page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, a[href], select, input:not([type="hidden"]), summary, textarea')) {
      if (el.closest('p') && el.tagName === 'A') continue;
      const target = el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio') ? (el.closest('label') ?? el) : el;
      const box = target.getBoundingClientRect();
      if (box.width <= 2 || box.height <= 2 || getComputedStyle(target).visibility === 'hidden') continue; // not shown (sr-only)
      if (box.width < 44 || box.height < 44)
        out.push(
          `${el.tagName.toLowerCase()} "${(el.textContent ?? el.getAttribute('aria-label') ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`,
        );
    }
    return out;
  });
  return small.map((s) => `${where}: tap target under 44 px: ${s}`);
}

/** Every check at one width on the page as it is now. */
async function checkAt(page: Page, size: (typeof WIDTHS)[number], where: string, within?: string): Promise<string[]> {
  await page.setViewportSize({ width: size.width, height: size.height });
  const at = `${where} @${size.name}`;
  const found = await scan(page, at, within);
  if (size.name === 'phone') found.push(...(within ? [] : await overflow(page, at)), ...(await smallTargets(page, at)));
  return found;
}

/** Each page once, checked at both widths (resizing, not reloading: the layout is CSS, the data the same). */
async function sweep(page: Page, state: string): Promise<string[]> {
  const found: string[] = [];
  for (const path of PAGES) {
    await page.setViewportSize({ width: WIDTHS[0].width, height: WIDTHS[0].height });
    await settled(page, path);
    for (const size of WIDTHS) found.push(...(await checkAt(page, size, `${state} ${path}`)));
  }
  return found;
}

async function sweepDialogs(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const d of DIALOGS) {
    await page.setViewportSize({ width: WIDTHS[0].width, height: WIDTHS[0].height });
    await settled(page, d.page);
    await d.open(page);
    await expect(page.locator('dialog[open]')).toBeVisible();
    // The page behind a modal dialog is inert; the dialog is what is scanned.
    for (const size of WIDTHS) found.push(...(await checkAt(page, size, `${d.page} [${d.name} dialog]`, 'dialog[open]')));
  }
  return found;
}

async function sweepLogin(page: Page): Promise<string[]> {
  await page.context().clearCookies();
  await page.setViewportSize({ width: WIDTHS[0].width, height: WIDTHS[0].height });
  await page.goto('/login');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  const found: string[] = [];
  for (const size of WIDTHS) found.push(...(await checkAt(page, size, '/login')));
  return found;
}

/** Gives every page something to list: the demo fleet, a tenant of no servers, a rule, a token, a viewer. */
async function seed(page: Page): Promise<void> {
  await settled(page, '/inference');
  const demo = page.getByRole('button', { name: 'Load demo data' });
  if (await demo.isVisible()) {
    await demo.click();
    await expect(page.locator('article[data-testid^="server-"]')).toHaveCount(5);
  }
  await settled(page, '/tenants');
  await page.getByLabel('Name').fill('a11y tenant');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await expect(page.getByRole('row', { name: /a11y tenant/ })).toBeVisible();

  await settled(page, '/alerts');
  await page.getByRole('button', { name: 'New rule' }).click();
  await page.getByLabel('Name').fill('a11y rule');
  await page.getByLabel('Metric').selectOption('latencyMs');
  await page.getByLabel(/^Threshold/).fill('5000');
  await page.getByRole('button', { name: 'Create rule' }).click();
  await expect(page.getByRole('row', { name: /a11y rule/ })).toBeVisible();

  cli('', 'tokens', 'create', '--name', 'a11y-token', '--scopes', 'automations:read');
  cli('a11y-viewer-password', 'users', 'create', '--email', 'a11y-viewer@e2e.test', '--role', 'viewer');
}

// In file order, one worker: the first test sees the console as it found it (empty when this file runs alone on a
// fresh data directory), the second seeds it, the third opens dialogs on what it seeded. Not `serial`: a finding in
// one test still lets the others report theirs.
test.describe('accessibility and phone layout', () => {
  test.setTimeout(170_000);
  test('as found (no data when run alone): every page and the sign-in page, at both widths', async ({ page }) => {
    await signIn(page);
    const found = [...(await sweep(page, 'as found')), ...(await sweepLogin(page))];
    expect(found).toEqual([]);
  });

  test('with data: every page at both widths', async ({ page }) => {
    await signIn(page);
    await seed(page);
    expect(await sweep(page, 'with data')).toEqual([]);
  });

  test('with each dialog open, at both widths', async ({ page }) => {
    await signIn(page);
    expect(await sweepDialogs(page)).toEqual([]);
  });

  test('in the dark theme (the system asks for it): the pages with the most colour, at both widths', async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await signIn(page);
    const found: string[] = [];
    for (const path of ['/automations', '/inference', '/alerts']) {
      await page.setViewportSize({ width: WIDTHS[0].width, height: WIDTHS[0].height });
      await settled(page, path);
      // The scan alone cannot tell a dark page from a light one that passes too: the page itself must be dark.
      expect(await pageLightness(page), `${path} is drawn dark`).toBeLessThan(0.3);
      for (const size of WIDTHS) found.push(...(await checkAt(page, size, `dark ${path}`)));
    }
    expect(found).toEqual([]);
  });
});

/** Relative luminance (0 black … 1 white) of the page's background: the body's, or the root's when the body has none. */
async function pageLightness(page: Page): Promise<number> {
  return page.evaluate(() => {
    const probe = document.createElement('canvas').getContext('2d');
    const colourOf = (el: Element) => getComputedStyle(el).backgroundColor;
    const transparent = (c: string) => c === 'transparent' || /^rgba\(.*,\s*0\)$/.test(c);
    const colour = [document.body, document.documentElement].map(colourOf).find((c) => !transparent(c)) ?? 'rgb(255, 255, 255)';
    if (!probe) return 1;
    // The canvas turns any CSS colour (oklch included) into sRGB bytes.
    probe.fillStyle = colour;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = Array.from(probe.getImageData(0, 0, 1, 1).data).map((v) => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * (r ?? 1) + 0.7152 * (g ?? 1) + 0.0722 * (b ?? 1);
  });
}
