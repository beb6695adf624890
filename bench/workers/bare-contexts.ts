// The per-session baseline: bare Playwright contexts (one page each) in Debian's Chromium with the console's
// launch arguments, in a process of its own. Prompted on stdin ("open" / "exit"), it answers "ready" on stdout.
// argv: <page url> <chromium path>
import readline from 'node:readline';
import { type Browser, type BrowserContext, chromium } from 'playwright';

const [url = '', executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

async function main(): Promise<void> {
  const browser: Browser = await chromium.launch({ executablePath, args: ARGS });
  const contexts: BrowserContext[] = [];
  process.stdout.write('ready\n');
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === 'open') {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const page = await context.newPage();
      await page.goto(url, { waitUntil: 'load' });
      contexts.push(context);
      process.stdout.write('ready\n');
    } else if (line === 'exit') {
      break;
    }
  }
  await browser.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
