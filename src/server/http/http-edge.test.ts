import { describe, expect, it } from 'vitest';
import { parseEnv } from '../config/env';
import { guardClientApi } from './client-api-guard';
import { MAX_TARGET_BYTES, createHttpEdge } from './http-edge';

const API = '/api/client/v1';
const ORIGIN = 'https://tools.example.com';

describe('HTTP edge (scripts/server.mjs asks it before Next.js)', () => {
  const edge = createHttpEdge({ corsOrigins: [ORIGIN] });

  it('answers every method no route serves with the guard’s JSON 405 and Allow, on any path', async () => {
    const guarded = guardClientApi('DELETE', `${API}/automations/alert-evaluation/run`);
    for (const method of ['TRACE', 'PROPFIND', 'MKCOL', 'CONNECT', 'SEARCH']) {
      const answer = edge.early(method, `${API}/automations/alert-evaluation/run?x=1`, {});
      expect(answer?.status, method).toBe(405);
      expect(answer?.headers.allow).toBe(guarded?.headers.get('allow'));
      expect(answer?.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(answer?.body ?? '')).toEqual({ error: `Method ${method} is not allowed here; use POST`, code: 'METHOD_NOT_ALLOWED' });
    }
    expect(edge.early('TRACE', '/metrics', {})?.headers.allow).toBe('GET');
    expect(edge.early('TRACE', '/api/health', {})?.headers.allow).toBe('GET');
    expect(edge.early('TRACE', '/api/trpc/auth.me', {})?.headers.allow).toBe('GET, POST');
    expect(edge.early('TRACE', '/login', {})?.headers.allow).toBe('GET');
    expect(edge.early('PROPFIND', `${API}/nothing`, {})?.status).toBe(404);
    expect(edge.early('TRACE', `${API}/tenants/%ff`, {})?.status).toBe(400);
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) expect(edge.early(method, `${API}/automations`, {}), method).toBeNull();
  });

  it('answers a target over 8 KiB with 414 JSON, but leaves tRPC to its own bound', () => {
    const long = `${API}/automations?pad=${'a'.repeat(MAX_TARGET_BYTES)}`;
    expect(edge.early('GET', long, {})?.status).toBe(414);
    expect(JSON.parse(edge.early('GET', long, {})?.body ?? '')).toMatchObject({ code: 'URI_TOO_LONG' });
    expect(edge.early('GET', `${API}/automations?pad=${'a'.repeat(MAX_TARGET_BYTES - 100)}`, {})).toBeNull();
    expect(edge.early('GET', `/api/trpc/automations.list?input=${'a'.repeat(MAX_TARGET_BYTES)}`, {})).toBeNull();
  });

  it('CORS: preflights and answers for named origins only; the OpenAPI document for any origin', () => {
    const preflight = (origin: string, path = `${API}/inference-servers/abc`) =>
      edge.early('OPTIONS', path, { origin, 'access-control-request-method': 'PATCH' });
    const allowed = preflight(ORIGIN);
    expect(allowed?.status).toBe(204);
    expect(allowed?.headers).toMatchObject({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-methods': 'GET, PATCH, DELETE, HEAD',
      vary: 'Origin',
    });
    expect(preflight('https://evil.example.net')).toBeNull();
    expect(preflight(ORIGIN, '/api/trpc/auth.login')).toBeNull();
    expect(preflight('https://any.example.org', `${API}/openapi.json`)?.headers['access-control-allow-origin']).toBe('*');
    expect(edge.responseHeaders('GET', `${API}/automations`, { origin: ORIGIN })).toMatchObject({ 'access-control-allow-origin': ORIGIN, vary: 'Origin' });
    expect(edge.responseHeaders('GET', `${API}/automations`, { origin: 'https://evil.example.net' })).toEqual({ vary: 'Origin' });
    expect(edge.responseHeaders('GET', '/api/trpc/auth.me', { origin: ORIGIN })).toBeNull();
    const off = createHttpEdge({ corsOrigins: [] });
    expect(off.responseHeaders('GET', `${API}/automations`, { origin: ORIGIN })).toBeNull();
    expect(off.early('OPTIONS', `${API}/automations`, { origin: ORIGIN, 'access-control-request-method': 'GET' })).toBeNull();
    expect(off.responseHeaders('GET', `${API}/openapi.json`, { origin: ORIGIN })).toEqual({ 'access-control-allow-origin': '*' });
  });

  it('CORS_ALLOWED_ORIGINS takes exact origins only', () => {
    expect(parseEnv({ CORS_ALLOWED_ORIGINS: ` ${ORIGIN}, http://localhost:5173 ` }).CORS_ALLOWED_ORIGINS).toEqual([ORIGIN, 'http://localhost:5173']);
    expect(parseEnv({}).CORS_ALLOWED_ORIGINS).toEqual([]);
    for (const bad of ['*', 'https://tools.example.com/', 'https://tools.example.com/path', 'tools.example.com', 'ftp://x.example']) {
      expect(() => parseEnv({ CORS_ALLOWED_ORIGINS: bad }), bad).toThrow(/CORS_ALLOWED_ORIGINS/);
    }
  });
});
