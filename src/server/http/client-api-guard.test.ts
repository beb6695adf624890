import { describe, expect, it } from 'vitest';
import { guardClientApi } from './client-api-guard';

describe('client API guard', () => {
  it('answers 400 JSON for paths that are not valid percent-encoding', async () => {
    const res = guardClientApi('GET', '/api/client/v1/automations/%ff');
    expect(res?.status).toBe(400);
    expect(await res?.json()).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('answers 405 JSON with Allow for a known path and a method it does not have', async () => {
    const res = guardClientApi('DELETE', '/api/client/v1/automations/alert-evaluation/run');
    expect(res?.status).toBe(405);
    expect(res?.headers.get('allow')).toBe('POST');
    expect(await res?.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    expect(guardClientApi('PUT', '/api/client/v1/automations')?.headers.get('allow')).toBe('GET');
  });

  it('lets everything else through: allowed methods, unknown paths, other prefixes, OPTIONS and HEAD', () => {
    expect(guardClientApi('POST', '/api/client/v1/automations/alert-evaluation/run')).toBeNull();
    expect(guardClientApi('GET', '/api/client/v1/nothing/here')).toBeNull();
    expect(guardClientApi('GET', '/api/trpc/automations.list')).toBeNull();
    expect(guardClientApi('OPTIONS', '/api/client/v1/automations')).toBeNull();
    expect(guardClientApi('HEAD', '/api/client/v1/automations')).toBeNull();
  });
});
