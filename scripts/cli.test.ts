import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { isWellFormedToken } from '../src/server/auth/token-format';
import { tempDir } from '../src/server/testing/services';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const data = tempDir('cli');

/** Runs the CLI with `input` piped to its stdin (stdin is closed either way, as a pipe with nothing in it is). */
function cliWithInput(input: string | undefined, ...args: string[]) {
  const running = run(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'scripts/cli.ts'), ...args], {
    cwd: root,
    env: { ...process.env, DATA_DIR: data.dir, LOG_LEVEL: 'silent', DATABASE_URL: '', REDIS_URL: '' },
  });
  running.child.stdin?.end(input ?? '');
  return running;
}

function cli(...args: string[]) {
  return cliWithInput(undefined, ...args);
}

describe('admin CLI (embedded database)', () => {
  afterAll(() => data.cleanup());

  it('creates a token and prints it alone on the last line; lists and revokes it', async () => {
    const created = await cli('tokens', 'create', '--name', 'ci-bot', '--scopes', 'all', '--expires-in', '30d');
    const last = created.stdout.trim().split('\n').at(-1) ?? '';
    expect(isWellFormedToken(last)).toBe(true);
    const listed = await cli('tokens', 'list');
    expect(listed.stdout).toMatch(/^ci-bot\tcpeer_\w{4}…\t.*metrics:read.*\tactive$/m);
    expect(listed.stdout).not.toContain(last);
    const revoked = await cli('tokens', 'revoke', 'ci-bot');
    expect(revoked.stdout).toContain('Revoked token "ci-bot"');
    expect((await cli('tokens', 'list')).stdout).toMatch(/\trevoked /);
  });

  it('creates operators with the password from stdin, and explains bad input with exit code 2', async () => {
    expect((await cliWithInput('long-enough\n', 'users', 'create', '--email', 'ops@example.com', '--role', 'viewer')).stdout).toContain(
      'Created viewer ops@example.com',
    );
    await expect(cliWithInput('long-enough', 'users', 'create', '--email', 'nope', '--role', 'root')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--email: must be an email address[\s\S]*--role/),
    });
    await expect(cli('tokens', 'create', '--name', 'x', '--scopes', 'automations:fly')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Unknown scope(s): automations:fly'),
    });
    await expect(cli('tokens', 'create', '--name', 'y', '--expires-in', 'soon')).rejects.toMatchObject({ code: 2 });
  });

  it('says what is wrong with a piped password', async () => {
    await expect(cliWithInput('short', 'users', 'create', '--email', 'short@example.com', '--role', 'viewer')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('password: password must be at least 8 characters'),
    });
    await expect(cli('users', 'create', '--email', 'empty@example.com', '--role', 'viewer')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no password on stdin'),
    });
  });

  it('refuses a password on the command line and says how to pipe it, without creating anything', async () => {
    await expect(cli('users', 'create', '--email', 'argv@example.com', '--password', 'long-enough', '--role', 'admin')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--password is not accepted[\s\S]*printf '%s' "\$PASSWORD" \| npm run cli -- users create/),
    });
    await expect(cli('users', 'create', '--email', 'argv@example.com', '--role', 'admin', 'long-enough')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('passwords are read from stdin'),
    });
    await expect(cli('users', 'disable', 'argv@example.com')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('No operator with email argv@example.com'),
    });
  });

  it('sets a password from stdin and ends an operator’s sessions', async () => {
    await cliWithInput('first-password', 'users', 'create', '--email', 'cycle@example.com', '--role', 'viewer');
    expect((await cliWithInput('second-password\n', 'users', 'passwd', '--email', 'cycle@example.com')).stdout).toContain(
      'Set the password of cycle@example.com',
    );
    expect((await cli('users', 'end-sessions', 'cycle@example.com')).stdout).toContain('Ended 0 session(s) of cycle@example.com');
  });

  it('disables and enables an operator', async () => {
    await cliWithInput('first-password', 'users', 'create', '--email', 'toggle@example.com', '--role', 'viewer');
    expect((await cli('users', 'disable', 'toggle@example.com')).stdout).toContain('Disabled toggle@example.com');
    expect((await cli('users', 'enable', 'toggle@example.com')).stdout).toContain('Enabled toggle@example.com');
  });
});
