import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { config } from '../../proxy';
import { UNGUARDED_PATHS, answerOptions, guardClientApi, refuseMethod } from './client-api-guard';

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

  it('routes the proxy skips answer wrong methods and OPTIONS exactly as the proxy and the framework would', async () => {
    for (const path of UNGUARDED_PATHS) {
      const url = `http://console.test/api/client/v1${path}?x=1`;
      const refused = refuseMethod(new Request(url, { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
      const guarded = guardClientApi('POST', `/api/client/v1${path}`);
      expect(refused.status).toBe(405);
      expect(refused.headers.get('allow')).toBe(guarded?.headers.get('allow'));
      expect(await refused.json()).toEqual(await guarded?.json());
      const options = answerOptions(new Request(url, { method: 'OPTIONS' }));
      expect(options.status).toBe(204);
      expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    }
  });

  it('the proxy matcher skips exactly the unguarded paths, whose route files refuse every other method', () => {
    const matchers = config.matcher.filter((m) => m.startsWith('/api/client/v1'));
    for (const path of UNGUARDED_PATHS) {
      const name = path.slice(1);
      expect(
        matchers.some((m) => m.includes(`(?!${name}$)`)),
        path,
      ).toBe(true);
      const route = fs.readFileSync(routeFile(path), 'utf8');
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) expect(route, `${path} ${method}`).toMatch(new RegExp(`\\b${method}\\b`));
    }
    expect(matchers.filter((m) => m.includes('(?!'))).toHaveLength(UNGUARDED_PATHS.length);
  });
});

function routeFile(apiPath: string): string {
  return path.resolve(import.meta.dirname, '../../app/api/client/v1', `.${apiPath}`, 'route.ts');
}

describe('client API guard: HEAD and the OpenAPI document', () => {
  it('answers 405 JSON for HEAD where there is no GET, and for anything but GET on the OpenAPI document', () => {
    const head = guardClientApi('HEAD', '/api/client/v1/automations/alert-evaluation/run');
    expect(head?.status).toBe(405);
    expect(head?.headers.get('allow')).toBe('POST');
    expect(guardClientApi('HEAD', '/api/client/v1/automations/alert-evaluation')).toBeNull();
    const post = guardClientApi('POST', '/api/client/v1/openapi.json');
    expect(post?.status).toBe(405);
    expect(post?.headers.get('allow')).toBe('GET');
    expect(guardClientApi('GET', '/api/client/v1/openapi.json')).toBeNull();
  });
});
