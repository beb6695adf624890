import 'server-only';
import { ZodError } from 'zod';
import { AppError, ERROR_TABLE, errorReference, internalErrorMessage, isAppError } from '../errors';
import type { Logger } from '../logger';

const BASE_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...BASE_HEADERS, ...headers } });
}

/** A 200 JSON response from text that is already serialized (a cached body), with the API's usual headers. */
export function jsonText(text: string): Response {
  return new Response(text, { status: 200, headers: BASE_HEADERS });
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
