import 'server-only';
import { z } from 'zod';
import type { Scope } from '../auth/auth.schemas';

/** One client API operation, described by the same zod schemas its handler parses and answers with. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI path under /api/client/v1, with `{param}` segments, e.g. `/automations/{key}/run`. */
  path: string;
  /** Unique, stable name of the operation (the method name of generated clients), e.g. `runAutomation`. */
  operationId: string;
  summary: string;
  description?: string;
  scope: Scope;
  tag: string;
  pathParams?: Record<string, string>;
  query?: z.ZodObject;
  body?: z.ZodType;
  bodyRequired?: boolean;
  /** The success status; 200 unless the operation creates something (201, with `Location`). */
  status?: 200 | 201;
  /** The success body; omit for non-JSON answers and give `responseContentType`. */
  response?: z.ZodType;
  responseContentType?: string;
  /** Statuses this operation may answer besides 200, 401, 403 and 429, with why. */
  errors?: Record<number, string>;
  /** Error statuses whose body carries more than `{ error, code, issues? }` (the 500 of run now carries the view). */
  errorBodies?: Record<number, z.ZodObject>;
  /** A read that scripts poll: answers carry `ETag`, and `If-None-Match` with a current tag answers 304. */
  conditional?: boolean;
}

export const errorBody = z.object({
  error: z.string().describe('What went wrong, for a person to act on.'),
  code: z.string().describe('Stable machine-readable code, e.g. INVALID_KEY, NOT_FOUND, RUN_FAILED.'),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

const jsonContent = (schema: z.ZodType) => ({ 'application/json': { schema: schemaOf(schema, 'output') } });
const errorResponse = (description: string, headers?: Record<string, unknown>) => ({ description, headers, content: jsonContent(errorBody) });
const header = (description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ description, schema });

/**
 * Answers of the guard (client-api-guard.ts) and the server in front of the routes (scripts/server.mjs,
 * http-edge.ts), given before any operation runs, so they belong to no operation: a path that is not valid
 * percent-encoding, a path that is no endpoint, a method an endpoint does not have, a request target that is too
 * long. Each operation's `default` response is the same error body.
 */
const MALFORMED_PATH = 'the raw path is not valid percent-encoding (the guard, no token needed).';
const GUARD_RESPONSES = {
  MalformedPath: errorResponse(`400 INVALID_INPUT: ${MALFORMED_PATH}`),
  NoSuchEndpoint: errorResponse('404 NOT_FOUND: the path matches no endpoint, whatever the method (no token needed).'),
  MethodNotAllowed: errorResponse(
    '405 METHOD_NOT_ALLOWED: the path is an endpoint, the method is not one of its methods, or no HTTP method the console serves (TRACE, PROPFIND, …). `Allow` lists the methods.',
    {
      Allow: header('The methods of the endpoint, e.g. `GET` or `GET, PATCH, DELETE`.'),
    },
  ),
  UriTooLong: errorResponse('414 URI_TOO_LONG: the request target (path and query) is over 8 KiB (the server, no token needed).'),
  Error: errorResponse('Any other error (500 INTERNAL with a reference to the server log, 503 while the instance starts); same body.'),
};

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
    if (route.conditional) {
      parameters.push({
        name: 'If-None-Match',
        in: 'header',
        required: false,
        description: 'An ETag of an earlier answer; when it is still current the answer is 304 without a body.',
        schema: { type: 'string' },
      });
    }
    const status = route.status ?? 200;
    const successHeaders: Record<string, unknown> = {};
    if (status === 201) successHeaders.Location = header('The URL path of the created object, e.g. `/api/client/v1/tenants/<id>`.');
    if (route.conditional) successHeaders.ETag = header('Tag of this answer (changes whenever the body does); send it back as If-None-Match.');
    const responses: Record<string, unknown> = {
      [String(status)]: {
        description: status === 201 ? 'Created' : 'OK',
        headers: Object.keys(successHeaders).length > 0 ? successHeaders : undefined,
        content: route.response
          ? jsonContent(route.response)
          : { [route.responseContentType ?? 'application/octet-stream']: { schema: { type: 'string', contentEncoding: 'binary' } } },
      },
      ...(route.conditional
        ? { '304': { description: 'Not Modified: If-None-Match named the current ETag; no body.', headers: { ETag: successHeaders.ETag } } }
        : {}),
      '401': errorResponse('Missing, malformed, unknown, expired or revoked token.', { 'WWW-Authenticate': header('`Bearer realm="automations-console"`') }),
      '403': errorResponse(`The token lacks the scope ${route.scope}.`),
      '429': errorResponse('The token exceeded its request rate, or the client failed authentication too often; see Retry-After.', {
        'Retry-After': header('Seconds to wait.', { type: 'integer' }),
      }),
    };
    for (const [code, why] of Object.entries(route.errors ?? {})) {
      const special = route.errorBodies?.[Number(code)];
      responses[code] = special ? { description: why, content: jsonContent(errorBody.extend(special.shape)) } : errorResponse(why);
    }
    // The guard answers these before the route runs: a path parameter that is not valid percent-encoding, and (for
    // every operation) a request target over 8 KiB.
    if (route.pathParams) {
      responses['400'] = route.errors?.[400] ? errorResponse(`${route.errors[400]} Also: ${MALFORMED_PATH}`) : { $ref: '#/components/responses/MalformedPath' };
    }
    responses['414'] = { $ref: '#/components/responses/UriTooLong' };
    responses.default = { $ref: '#/components/responses/Error' };
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      operationId: route.operationId,
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
      description:
        'Inspect, run, pause and resume the platform’s background automations, and manage the data they act on. ' +
        'Requests that reach no operation are answered before routing: see components.responses (MalformedPath, NoSuchEndpoint, MethodNotAllowed, UriTooLong).',
      license: { name: 'AGPL-3.0 (community edition)', identifier: 'AGPL-3.0-only' },
    },
    servers: [{ url: '/api/client/v1' }],
    tags: TAGS,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token: cpeer_ followed by 38 characters.' } },
      responses: GUARD_RESPONSES,
    },
    paths,
  };
}

const TAGS = [
  { name: 'automations', description: 'The background automations: views, run now, pause and resume, run history.' },
  { name: 'tenants', description: 'Tenants and what each owns.' },
  { name: 'inference', description: 'Inference servers the poll watches, and their samples.' },
  { name: 'alerts', description: 'Alert rules, their notification channels, and incidents.' },
  { name: 'browser', description: 'Remote browser sessions.' },
];
