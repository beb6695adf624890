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

  it('answers 404 JSON for paths that are no endpoint, whatever the method or content', async () => {
    for (const path of ['/api/client/v1', '/api/client/v1/', '/api/client/v1/nothing/here', '/api/client/v1/automations/a/b/c']) {
      const res = guardClientApi('POST', path);
      expect(res?.status, path).toBe(404);
      expect(await res?.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('lets everything else through: allowed methods, the OpenAPI document, other prefixes, OPTIONS and HEAD', () => {
    expect(guardClientApi('POST', '/api/client/v1/automations/alert-evaluation/run')).toBeNull();
    expect(guardClientApi('GET', '/api/client/v1/openapi.json')).toBeNull();
    expect(guardClientApi('GET', '/api/trpc/automations.list')).toBeNull();
    expect(guardClientApi('OPTIONS', '/api/client/v1/automations')).toBeNull();
    expect(guardClientApi('HEAD', '/api/client/v1/automations')).toBeNull();
  });
});
