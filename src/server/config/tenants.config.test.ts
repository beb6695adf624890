import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';
import { actorFor } from '../tenants/actor-redaction';
import { tenantQuotas } from './tenants.config';

describe('tenant quotas', () => {
  it('defaults: generous but finite, and a session share below the instance capacity', () => {
    expect(tenantQuotas(parseEnv({}))).toEqual({
      browserSessions: 3,
      inferenceServers: 500,
      alertRules: 500,
      notificationChannels: 50,
      minPollIntervalSeconds: 30,
      modelsPerSample: 100,
      modelNameLength: 200,
    });
  });

  it('a tenant never gets every session slot of an instance', () => {
    expect(tenantQuotas(parseEnv({ BROWSER_MAX_SESSIONS: '3' })).browserSessions).toBe(2);
    expect(tenantQuotas(parseEnv({ BROWSER_MAX_SESSIONS: '20', TENANT_MAX_BROWSER_SESSIONS: '8' })).browserSessions).toBe(8);
    expect(tenantQuotas(parseEnv({ BROWSER_MAX_SESSIONS: '1' })).browserSessions).toBe(1);
  });

  it('refuses quotas that are not positive whole numbers, naming the variable', () => {
    expect(() => parseEnv({ TENANT_MAX_ALERT_RULES: '0' })).toThrow(/TENANT_MAX_ALERT_RULES/);
    expect(() => parseEnv({ TENANT_MIN_POLL_INTERVAL_SECONDS: '5' })).toThrow(/TENANT_MIN_POLL_INTERVAL_SECONDS/);
  });
});

describe('actor labels for tenant-restricted callers', () => {
  it('keep the kind, drop the identity; the platform sees them whole', () => {
    const tenant = { restrictedTo: 't1' };
    expect(actorFor(tenant, 'operator:ops@example.com')).toBe('operator');
    expect(actorFor(tenant, 'token:deploy-bot')).toBe('token');
    expect(actorFor(tenant, 'schedule')).toBe('schedule');
    expect(actorFor(tenant, null)).toBeNull();
    expect(actorFor({ restrictedTo: null }, 'operator:ops@example.com')).toBe('operator:ops@example.com');
  });
});
