import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_API_ROUTES, openApiResponse } from './client-api-docs';

const API_DIR = path.resolve(import.meta.dirname, '../../app/api/client/v1');

/** Every (method, OpenAPI path) that a route file under src/app/api/client/v1 exports. */
function routeHandlers(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === 'route.ts') {
        const rel = path.relative(API_DIR, dir).split(path.sep).filter(Boolean);
        if (rel.some((s) => s.startsWith('[...')) || rel[0] === 'openapi.json') continue;
        const apiPath = `/${rel.map((s) => s.replace(/^\[(\w+)\]$/, '{$1}')).join('/')}`;
        const text = fs.readFileSync(full, 'utf8');
        const methods = new Set(
          [...text.matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g), ...text.matchAll(/as (GET|POST|PUT|PATCH|DELETE)\b/g)].map((m) => m[1]),
        );
        for (const method of methods) found.push(`${method} ${apiPath}`);
      }
    }
  };
  walk(API_DIR);
  return found.sort();
}

describe('OpenAPI document of the client API', () => {
  it('describes every route handler, and nothing that has no handler', () => {
    const documented = CLIENT_API_ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    const handlers = routeHandlers();
    expect(handlers.length).toBeGreaterThanOrEqual(6);
    expect(documented).toEqual(handlers);
  });

  it('is OpenAPI 3.1 with schemas generated from the handlers’ zod schemas', async () => {
    const res = await openApiResponse();
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }>; requestBody?: unknown }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    const list = doc.paths['/automations']?.get?.responses['200']?.content?.['application/json']?.schema;
    expect(Object.keys(list?.properties ?? {})).toEqual(['automations']);
    const pause = doc.paths['/automations/{key}/pause']?.post;
    expect(JSON.stringify(pause?.requestBody)).toContain('"until"');
    expect(Object.keys(pause?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429', '500']));
  });
});
