// `npm test`: the whole suite. Builds the app if needed (process and e2e tests run the real build), runs
// Vitest (unit, integration against real SQLite/PostgreSQL/Redis, multi-process), the reliability battery
// (bounded figures; RELIABILITY_FULL=1 for the full ones), then Playwright in Debian's Chromium, and ends
// with one summary line: "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildIfNeeded, root } from './build-if-needed.mjs';

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(root, 'test-results', 'e2e.json') };
const results = path.join(root, 'test-results');
fs.mkdirSync(results, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = buildIfNeeded(env);
if (!ok) totals.failed++;

function run(label, args) {
  console.log(`\n▶ ${label}`);
  const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  return r.status === 0;
}

/** Runs one Vitest configuration with a JSON report and adds its counts to the totals. */
function vitest(label, name, extraArgs) {
  const report = path.join(results, `${name}.json`);
  fs.rmSync(report, { force: true });
  const passed = run(label, ['node_modules/vitest/vitest.mjs', 'run', ...extraArgs, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
  if (!fs.existsSync(report)) {
    totals.failed++;
    return false;
  }
  const v = JSON.parse(fs.readFileSync(report, 'utf8'));
  totals.passed += v.numPassedTests;
  totals.failed += v.numFailedTests;
  totals.skipped += v.numPendingTests + (v.numTodoTests ?? 0);
  console.log(`${name}: ${v.numPassedTests} passed, ${v.numFailedTests} failed, ${v.numPendingTests} skipped`);
  return passed;
}

ok = vitest('Vitest: unit, integration and process tests', 'vitest', []) && ok;
ok = vitest('Vitest: reliability battery (real consoles on PostgreSQL and Redis)', 'reliability', ['--config', 'vitest.reliability.config.mts']) && ok;

const e2eReport = path.join(results, 'e2e.json');
fs.rmSync(e2eReport, { force: true });
ok = run('Playwright: end-to-end in Chromium against next start', ['node_modules/@playwright/test/cli.js', 'test', '--reporter=list,json']) && ok;
// The json reporter writes to PLAYWRIGHT_JSON_OUTPUT_NAME.
if (fs.existsSync(e2eReport)) {
  const p = JSON.parse(fs.readFileSync(e2eReport, 'utf8'));
  const s = p.stats;
  totals.passed += s.expected + s.flaky;
  totals.failed += s.unexpected;
  totals.skipped += s.skipped;
  console.log(`playwright: ${s.expected + s.flaky} passed, ${s.unexpected} failed, ${s.skipped} skipped`);
} else {
  totals.failed++;
}

console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
