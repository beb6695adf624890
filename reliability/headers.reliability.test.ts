import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleProcess, ensureBuild, startConsole } from '../src/server/testing/console-process';
import { tempDir, uniqueId } from '../src/server/testing/services';
import { report } from './cluster';

/** The nonce a page's policy allows, or null. */
function policyNonce(policy: string | null): string | null {
  return /'nonce-([^']+)'/.exec(policy ?? '')?.[1] ?? null;
}

describe('security headers of a default install (issue 13 §6)', () => {
  let console_: ConsoleProcess;
  let cleanup: () => void;
  beforeAll(async () => {
    ensureBuild();
    const temp = tempDir(uniqueId('hdr'));
    cleanup = temp.cleanup;
    console_ = await startConsole({ DATA_DIR: temp.dir, CONSOLE_ADMIN_PASSWORD: 'headers-password', DATABASE_URL: '', REDIS_URL: '' });
  });
  afterAll(async () => {
    await console_?.stop('SIGKILL');
    cleanup?.();
  });

  it('pages carry a per-response script nonce that every script has, and refuse framing', async () => {
    const pages = ['/login', '/automations', '/inference', '/alerts', '/incidents', '/browser', '/tenants', '/admin/tokens', '/account'];
    const nonces = new Set<string>();
    let scripts = 0;
    for (const page of pages) {
      const res = await fetch(`${console_.url}${page}`, { redirect: 'manual' });
      const policy = res.headers.get('content-security-policy');
      expect(policy, page).toContain("frame-ancestors 'none'");
      expect(policy, page).toContain("object-src 'none'");
      expect(policy, page).not.toContain("'unsafe-eval'");
      expect(policy, page).toMatch(/script-src [^;]*'strict-dynamic'/);
      expect(policy, page).not.toMatch(/script-src [^;]*'unsafe-inline'/);
      const nonce = policyNonce(policy);
      expect(nonce, page).not.toBeNull();
      nonces.add(nonce ?? '');
      expect(res.headers.get('x-frame-options'), page).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), page).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), page).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security'), `${page} over plain http`).toBeNull();
      if (res.status === 200) {
        const html = await res.text();
        for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
          expect(tag, page).toContain(`nonce="${nonce}"`);
          scripts++;
        }
      }
    }
    // A nonce that repeats is no nonce.
    expect(nonces.size).toBe(pages.length);
    report('page headers', `${pages.length} pages, ${scripts} scripts, every one with its response's nonce; nonces all distinct`);
  });

  it('API answers carry nosniff and no referrer, and HSTS is sent only over TLS', async () => {
    for (const path of ['/api/health', '/api/client/v1/automations', '/api/client/v1/openapi.json', '/metrics', '/api/trpc/auth.me']) {
      const res = await fetch(`${console_.url}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
    const overTls = await fetch(`${console_.url}/login`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(overTls.headers.get('strict-transport-security')).toMatch(/^max-age=\d{7,}/);
  });
});
