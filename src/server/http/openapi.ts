import 'server-only';
import { z } from 'zod';
import type { Scope } from '../auth/auth.schemas';

/** One client API operation, described by the same zod schemas its handler parses and answers with. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI path under /api/client/v1, with `{param}` segments, e.g. `/automations/{key}/run`. */
  path: string;
  summary: string;
  description?: string;
  scope: Scope;
  tag: string;
  pathParams?: Record<string, string>;
  query?: z.ZodObject;
  body?: z.ZodType;
  bodyRequired?: boolean;
  /** The success status; 200 unless the operation creates something (201). */
  status?: 200 | 201;
  /** The success body; omit for non-JSON answers and give `responseContentType`. */
  response?: z.ZodType;
  responseContentType?: string;
  /** Statuses this operation may answer besides 200, 401, 403 and 429, with why. */
  errors?: Record<number, string>;
}

const errorBody = z.object({
  error: z.string().describe('What went wrong, for a person to act on.'),
  code: z.string().describe('Stable machine-readable code, e.g. INVALID_KEY, NOT_FOUND, RUN_FAILED.'),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** Builds the OpenAPI 3.1 document of the client API from the route docs. */
export function buildOpenApi(routes: RouteDoc[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: unknown[] = [];
    for (const [name, description] of Object.entries(route.pathParams ?? {})) {
      parameters.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
    }
    if (route.query) {
      const shape = route.query.shape as Record<string, z.ZodType>;
      for (const [name, field] of Object.entries(shape)) {
        parameters.push({ name, in: 'query', required: !field.safeParse(undefined).success, schema: schemaOf(field, 'input') });
      }
    }
    const responses: Record<string, unknown> = {
      [String(route.status ?? 200)]: route.response
        ? { description: 'OK', content: { 'application/json': { schema: schemaOf(route.response, 'output') } } }
        : { description: 'OK', content: { [route.responseContentType ?? 'application/octet-stream']: {} } },
      '401': { description: 'Missing, malformed, unknown, expired or revoked token.', content: { 'application/json': { schema: schemaOf(errorBody, 'output') } } },
      '403': { description: `The token lacks the scope ${route.scope}.`, content: { 'application/json': { schema: schemaOf(errorBody, 'output') } } },
      '429': { description: 'The token exceeded its request rate; see Retry-After.', content: { 'application/json': { schema: schemaOf(errorBody, 'output') } } },
    };
    for (const [status, why] of Object.entries(route.errors ?? {})) {
      responses[status] = { description: why, content: { 'application/json': { schema: schemaOf(errorBody, 'output') } } };
    }
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      summary: route.summary,
      description: route.description,
      tags: [route.tag],
      security: [{ bearer: [] }],
      'x-required-scope': route.scope,
      parameters,
      requestBody: route.body
        ? { required: route.bodyRequired ?? true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } }
        : undefined,
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Automations Console client API',
      version,
      description: 'Inspect, run, pause and resume the platform’s background automations, and manage the data they act on.',
    },
    servers: [{ url: '/api/client/v1' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token: cpeer_ followed by 38 characters.' } },
    },
    paths,
  };
}
