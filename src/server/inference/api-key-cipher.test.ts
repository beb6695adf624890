import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../errors';
import { tempDir } from '../testing/services';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ApiKeyCipher, GENERATED_SECRET_FILE, apiKeyBinding, loadOrCreateSecret, resolveKeySource } from './api-key-cipher';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
function dir(): string {
  const temp = tempDir('cipher');
  cleanups.push(temp.cleanup);
  return temp.dir;
}

const SECRET = 'a-console-secret-that-is-long-enough-0123456789';

describe('ApiKeyCipher', () => {
  it('round-trips, and the stored form does not contain the key', () => {
    const cipher = new ApiKeyCipher(resolveKeySource({ consoleSecret: SECRET, dataDir: dir() }));
    const stored = cipher.encrypt('sk-live-abcdef', 'server-1');
    expect(stored).toMatch(/^v2\.[0-9a-f]{8}\.[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain('sk-live');
    expect(cipher.decrypt(stored, 'server-1')).toEqual({ ok: true, value: 'sk-live-abcdef' });
    // a fresh IV each time
    expect(cipher.encrypt('sk-live-abcdef', 'server-1')).not.toBe(stored);
  });

  it('refuses a ciphertext moved to another server, tampered with, or from another secret', () => {
    const cipher = new ApiKeyCipher(resolveKeySource({ consoleSecret: SECRET, dataDir: dir() }));
    const stored = cipher.encrypt('sk-1', 'server-1');
    expect(cipher.decrypt(stored, 'server-2')).toMatchObject({ ok: false, error: expect.stringContaining('integrity check') });
    const last = stored.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${stored.slice(0, -2)}${last}${stored.slice(-1)}`;
    expect(cipher.decrypt(tampered, 'server-1')).toMatchObject({ ok: false });
    const other = new ApiKeyCipher(resolveKeySource({ consoleSecret: `${SECRET}-rotated`, dataDir: dir() }));
    expect(other.decrypt(stored, 'server-1')).toMatchObject({ ok: false, error: expect.stringContaining('another console secret') });
    expect(cipher.decrypt('garbage', 'server-1')).toMatchObject({ ok: false, error: expect.stringContaining('unreadable') });
  });

  it('binds a key to the origin of the base URL: another scheme, host or port does not decrypt, another path does', () => {
    const cipher = new ApiKeyCipher(resolveKeySource({ consoleSecret: SECRET, dataDir: dir() }));
    const stored = cipher.encrypt('sk-origin', apiKeyBinding('server-1', 'http://gpu-1.internal:8000/team-a'));
    expect(cipher.decrypt(stored, apiKeyBinding('server-1', 'http://gpu-1.internal:8000/team-b/v1'))).toEqual({ ok: true, value: 'sk-origin' });
    for (const moved of ['https://gpu-1.internal:8000', 'http://attacker.example:8000', 'http://gpu-1.internal:8001', 'http://gpu-1.internal']) {
      expect(cipher.decrypt(stored, apiKeyBinding('server-1', moved)), moved).toMatchObject({ ok: false, error: expect.stringContaining('integrity check') });
    }
    // the scheme's default port is the same origin written either way
    const https = cipher.encrypt('sk', apiKeyBinding('server-1', 'https://api.example.com'));
    expect(cipher.decrypt(https, apiKeyBinding('server-1', 'https://api.example.com:443/v1'))).toEqual({ ok: true, value: 'sk' });
  });

  it('reads keys stored before origin binding (v1) only when asked to rebind them', () => {
    // A v1 value as the previous release wrote it: same key derivation, the server id alone as associated data.
    const key = Buffer.from(hkdfSync('sha256', SECRET, 'automations-console', 'inference-server-api-key:v1', 32));
    const iv = randomBytes(12);
    const legacy = createCipheriv('aes-256-gcm', key, iv);
    legacy.setAAD(Buffer.from('server-1'));
    const body = Buffer.concat([legacy.update('sk-old', 'utf8'), legacy.final()]);
    const cipher = new ApiKeyCipher(resolveKeySource({ consoleSecret: SECRET, dataDir: dir() }));
    const keyId = cipher.encrypt('x', 'y').split('.')[1];
    const stored = `v1.${keyId}.${Buffer.concat([iv, legacy.getAuthTag(), body]).toString('base64url')}`;
    expect(ApiKeyCipher.isLegacy(stored)).toBe(true);
    const binding = apiKeyBinding('server-1', 'http://gpu-1.internal:8000');
    expect(cipher.decrypt(stored, binding)).toMatchObject({ ok: false, error: expect.stringContaining('not yet bound') });
    expect(cipher.decrypt(stored, binding, 'server-1')).toEqual({ ok: true, value: 'sk-old' });
    expect(cipher.decrypt(stored, binding, 'server-2')).toMatchObject({ ok: false });
  });

  it('embedded console without CONSOLE_SECRET: generates one secret into DATA_DIR and reuses it', () => {
    const dataDir = dir();
    const first = new ApiKeyCipher(resolveKeySource({ dataDir }));
    const stored = first.encrypt('sk-embedded', 'server-1');
    const file = path.join(dataDir, GENERATED_SECRET_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const restarted = new ApiKeyCipher(resolveKeySource({ dataDir }));
    expect(restarted.decrypt(stored, 'server-1')).toEqual({ ok: true, value: 'sk-embedded' });
    expect(loadOrCreateSecret(dataDir)).toBe(fs.readFileSync(file, 'utf8').trim());
  });

  it('with DATABASE_URL and no CONSOLE_SECRET: refuses to store a key and says how to fix it', () => {
    const dataDir = dir();
    const cipher = new ApiKeyCipher(resolveKeySource({ dataDir, databaseUrl: 'postgres://db/console' }));
    expect(cipher.available).toBe(false);
    let caught: unknown;
    try {
      cipher.encrypt('sk', 'server-1');
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.code).toBe('INVALID_INPUT');
    expect((caught as Error).message).toMatch(/set CONSOLE_SECRET .*the same on every instance/i);
    expect(cipher.decrypt('v1.00000000.AAAA', 'server-1')).toMatchObject({ ok: false, error: expect.stringContaining('CONSOLE_SECRET') });
    // and nothing was generated that another instance could not share
    expect(fs.existsSync(path.join(dataDir, GENERATED_SECRET_FILE))).toBe(false);
  });
});
