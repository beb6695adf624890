import 'server-only';
import { createHash } from 'node:crypto';
import { ZodError } from 'zod';
import { AppError, ERROR_TABLE, errorReference, internalErrorMessage, isAppError } from '../errors';
import type { Logger } from '../logger';

const BASE_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...BASE_HEADERS, ...headers } });
}

/** 201 Created with the created object's URL path in `Location` (RFC 9110 §15.3.2). */
export function created(body: unknown, location: string): Response {
  return json(body, 201, { location });
}

/** A strong entity tag of a body: a SHA-256 prefix of its text, quoted. */
export function etagOf(text: string): string {
  return `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
}

/**
 * A 200 JSON answer from serialized text, with its `ETag`; 304 without a body when `If-None-Match` names that tag
 * or is `*` (weak comparison, RFC 9110 §13.1.2). For the reads that scripts poll: an unchanged answer costs no body.
 */
export function conditionalJson(request: Request, text: string, etag = etagOf(text)): Response {
  const condition = request.headers.get('if-none-match');
  if (condition !== null && noneMatchHits(condition, etag)) {
    return new Response(null, { status: 304, headers: { etag, 'cache-control': BASE_HEADERS['cache-control'] } });
  }
  return new Response(text, { status: 200, headers: { ...BASE_HEADERS, etag } });
}

function noneMatchHits(condition: string, etag: string): boolean {
  const opaque = etag.replace(/^W\//, '');
  return condition.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === opaque;
  });
}

/** Turns a zod failure into INVALID_INPUT naming every offending field. */
export function fromZodError(error: ZodError, what: string): AppError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
  return new AppError('INVALID_INPUT', `Invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
}

/**
 * The one place an error becomes an HTTP response: `{ error, code }` (+ `issues` for validation errors), the
 * status from the error table, `WWW-Authenticate` on 401 and `Retry-After` on 429/503. Unexpected errors answer
 * 500 with a reference and are logged; their text may hold internals and is not sent.
 */
export function errorResponse(error: unknown, logger: Logger | null): Response {
  const appError = isAppError(error) ? error : error instanceof ZodError ? fromZodError(error, 'input') : null;
  if (!appError) {
    const reference = errorReference(error);
    logger?.error({ reference, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, 'unexpected error in REST handler');
    return json({ error: internalErrorMessage(reference), code: 'INTERNAL' }, 500);
  }
  const status = ERROR_TABLE[appError.code].http;
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="automations-console"';
  if ((status === 429 || status === 503) && appError.details.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(appError.details.retryAfterSeconds);
  }
  const body: Record<string, unknown> = { error: appError.message, code: appError.code };
  if (appError.details.issues) body.issues = appError.details.issues;
  return json(body, status, headers);
}
