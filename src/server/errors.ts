import 'server-only';
/**
 * Coded application errors. Services throw `AppError(code, message)` for faults; the REST and tRPC adapters
 * map the code through {@link ERROR_TABLE}. Expected outcomes ("already running") are values, not errors.
 */
export const ERROR_TABLE = {
  INVALID_INPUT: { http: 400, trpc: 'BAD_REQUEST' },
  INVALID_KEY: { http: 400, trpc: 'BAD_REQUEST' },
  UNAUTHENTICATED: { http: 401, trpc: 'UNAUTHORIZED' },
  FORBIDDEN: { http: 403, trpc: 'FORBIDDEN' },
  NOT_FOUND: { http: 404, trpc: 'NOT_FOUND' },
  CONFLICT: { http: 409, trpc: 'CONFLICT' },
  // A tenant quota (docs/api.md "Quotas"): the request is valid but the tenant owns as much as it may. 409 like a
  // conflict with the tenant's current state; not 429, since waiting does not help until something is removed.
  QUOTA_EXCEEDED: { http: 409, trpc: 'CONFLICT' },
  PAYLOAD_TOO_LARGE: { http: 413, trpc: 'PAYLOAD_TOO_LARGE' },
  RATE_LIMITED: { http: 429, trpc: 'TOO_MANY_REQUESTS' },
  // The spec answers 500 for pausing/resuming an automation that does not support it.
  UNSUPPORTED_ACTION: { http: 500, trpc: 'PRECONDITION_FAILED' },
  RUN_FAILED: { http: 500, trpc: 'INTERNAL_SERVER_ERROR' },
  INTERNAL: { http: 500, trpc: 'INTERNAL_SERVER_ERROR' },
  LOCK_STORE_UNAVAILABLE: { http: 503, trpc: 'SERVICE_UNAVAILABLE' },
  SHUTTING_DOWN: { http: 503, trpc: 'SERVICE_UNAVAILABLE' },
} as const satisfies Record<string, { http: number; trpc: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

// A brand instead of `instanceof`: Next.js bundles instrumentation and route handlers separately, so an
// error thrown by a service built in one bundle must still be recognised by the adapter of another.
const BRAND = Symbol.for('automations-console.AppError');

export class AppError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      retryAfterSeconds?: number;
      issues?: ReadonlyArray<{ path: string; message: string }>;
    } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function isAppError(error: unknown): error is AppError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const references = new WeakMap<object, string>();

/**
 * The reference of an unexpected fault: the same error object always gets the same one, so the adapter that logs
 * it and the one that answers the caller (tRPC calls them separately) agree on it. The caller sees only
 * {@link internalErrorMessage}; the log holds the real message under the same reference.
 */
export function errorReference(error: unknown): string {
  if (typeof error !== 'object' || error === null) return crypto.randomUUID().slice(0, 8);
  let reference = references.get(error);
  if (reference === undefined) {
    reference = crypto.randomUUID().slice(0, 8);
    references.set(error, reference);
  }
  return reference;
}

/** What a caller is told about an unexpected fault: only where to look in the server log. */
export function internalErrorMessage(reference: string): string {
  return `Internal error (reference ${reference})`;
}
