import 'server-only';
import { TRPCError, initTRPC } from '@trpc/server';
import { type Caller, operatorCaller } from '../auth/caller';
import type { OperatorPrincipal } from '../auth/operator.service';
import type { Container } from '../container';
import { ERROR_TABLE, errorReference, internalErrorMessage, isAppError } from '../errors';

export interface TrpcContext {
  container: Container;
  operator: OperatorPrincipal | null;
  sessionToken: string | undefined;
  /** Headers of the response (the login procedure sets the session cookie here). */
  resHeaders: Headers;
  /** Who is calling, for sign-in limits: the limit key of http/client-address.ts (peer or trusted hops). */
  clientKey: string;
  /** Whether the client's connection was https as seen through the trusted hops, or COOKIE_SECURE (cookie Secure flag). */
  secure: boolean;
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    // An unexpected fault's text may hold internals (SQL, paths, upstream bodies): the caller gets a reference,
    // the log (handler.ts onError) the real message under the same one. Coded AppErrors keep their message.
    const masked = error.code === 'INTERNAL_SERVER_ERROR' && !isAppError(cause);
    return {
      ...shape,
      message: masked ? internalErrorMessage(errorReference(error)) : shape.message,
      data: {
        ...shape.data,
        stack: undefined,
        appCode: isAppError(cause) ? cause.code : null,
        retryAfterSeconds: isAppError(cause) ? (cause.details.retryAfterSeconds ?? null) : null,
        issues: isAppError(cause) ? (cause.details.issues ?? null) : null,
      },
    };
  },
});

/** Maps AppError to the TRPCError code of the shared error table, keeping the message. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) {
    const appError = result.error.cause;
    throw new TRPCError({ code: ERROR_TABLE[appError.code].trpc, message: appError.message, cause: appError });
  }
  return result;
});

export const router = t.router;
export const publicProcedure = t.procedure.use(mapErrors);

/** Any signed-in operator (admin or viewer). */
export const operatorProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.operator) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to use the console' });
  // The operator as a Caller, built here once for every procedure and passed first to the services.
  const caller: Caller = operatorCaller(ctx.operator);
  return next({ ctx: { ...ctx, operator: ctx.operator, caller } });
});

/** Admins only: control actions and administration. */
export const adminProcedure = operatorProcedure.use(({ ctx, next }) => {
  if (ctx.operator.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'Your role (viewer) may look but not act' });
  return next({ ctx });
});
