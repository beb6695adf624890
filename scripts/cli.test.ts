import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { isWellFormedToken } from '../src/server/auth/token-format';
import { tempDir } from '../src/server/testing/services';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const data = tempDir('cli');

function cli(...args: string[]) {
  return run(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'scripts/cli.ts'), ...args], {
    cwd: root,
    env: { ...process.env, DATA_DIR: data.dir, LOG_LEVEL: 'silent', DATABASE_URL: '', REDIS_URL: '' },
  });
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

  it('creates operators and explains bad input with exit code 2', async () => {
    expect((await cli('users', 'create', '--email', 'ops@example.com', '--password', 'long-enough', '--role', 'viewer')).stdout).toContain('Created viewer ops@example.com');
    await expect(cli('users', 'create', '--email', 'nope', '--password', 'short', '--role', 'root')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--email: must be an email address[\s\S]*--password: password must be at least 8 characters[\s\S]*--role/),
    });
    await expect(cli('tokens', 'create', '--name', 'x', '--scopes', 'automations:fly')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Unknown scope(s): automations:fly'),
    });
    await expect(cli('tokens', 'create', '--name', 'y', '--expires-in', 'soon')).rejects.toMatchObject({ code: 2 });
  });
});
