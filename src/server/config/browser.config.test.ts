import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';
import { browserSettings } from './browser.config';

describe('browser configuration', () => {
  it('has defaults that fit their limits', () => {
    const settings = browserSettings(parseEnv({}));
    expect(settings).toEqual({
      chromiumPath: '/usr/bin/chromium',
      maxSessions: 5,
      idleTimeout: { defaultMs: 300_000, maxMs: 3_600_000 },
      maxLifetime: { defaultMs: 1_800_000, maxMs: 14_400_000 },
      navigationTimeoutMs: 30_000,
      retentionMs: 7 * 86_400_000,
    });
  });

  it('reads every variable', () => {
    const settings = browserSettings(
      parseEnv({
        CHROMIUM_PATH: '/opt/chromium/chrome',
        BROWSER_MAX_SESSIONS: '2',
        BROWSER_IDLE_TIMEOUT_MS: '2000',
        BROWSER_IDLE_TIMEOUT_MAX_MS: '4000',
        BROWSER_MAX_LIFETIME_MS: '5000',
        BROWSER_MAX_LIFETIME_MAX_MS: '6000',
        BROWSER_NAVIGATION_TIMEOUT_MS: '7000',
        BROWSER_SESSION_RETENTION_DAYS: '2',
      }),
    );
    expect(settings).toEqual({
      chromiumPath: '/opt/chromium/chrome',
      maxSessions: 2,
      idleTimeout: { defaultMs: 2000, maxMs: 4000 },
      maxLifetime: { defaultMs: 5000, maxMs: 6000 },
      navigationTimeoutMs: 7000,
      retentionMs: 2 * 86_400_000,
    });
  });

  it('refuses bad values and defaults above their limits, naming the variables', () => {
    expect(() => parseEnv({ BROWSER_MAX_SESSIONS: '0' })).toThrow(/BROWSER_MAX_SESSIONS/);
    expect(() => parseEnv({ BROWSER_IDLE_TIMEOUT_MS: '500' })).toThrow(/BROWSER_IDLE_TIMEOUT_MS: must be at least 1000/);
    expect(() => browserSettings(parseEnv({ BROWSER_IDLE_TIMEOUT_MS: '5000', BROWSER_IDLE_TIMEOUT_MAX_MS: '4000' }))).toThrow(
      /BROWSER_IDLE_TIMEOUT_MS: must not exceed BROWSER_IDLE_TIMEOUT_MAX_MS \(4000\)/,
    );
    expect(() => browserSettings(parseEnv({ BROWSER_MAX_LIFETIME_MS: '9000', BROWSER_MAX_LIFETIME_MAX_MS: '8000' }))).toThrow(
      /BROWSER_MAX_LIFETIME_MS: must not exceed BROWSER_MAX_LIFETIME_MAX_MS/,
    );
  });
});
