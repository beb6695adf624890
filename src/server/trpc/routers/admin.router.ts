import 'server-only';
import { z } from 'zod';
import { ROLES, createOperatorInputSchema, createTokenInputSchema, operatorViewSchema, tokenViewSchema } from '../../auth/auth.schemas';
import { endSessionsInputSchema, operatorSessionsInputSchema, sessionViewSchema } from '../../auth/session.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';

const instanceSchema = z.object({
  id: z.string(),
  version: z.string(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  lockProvider: z.string(),
  scheduler: z.boolean(),
  live: z.boolean(),
  runsInFlight: z.array(z.string()),
});

const auditEntrySchema = z.object({
  id: z.number(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  instanceId: z.string(),
  outcome: z.string(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

const filterText = z
  .string()
  .trim()
  .max(200)
  .optional()
  .transform((v) => (v ? v : undefined));

export const adminRouter = router({
  /** Instances seen in the last hour, live ones marked; any operator may look. */
  instances: operatorProcedure
    .output(z.array(instanceSchema))
    .query(async ({ ctx }) => (await ctx.container.instances.recent()).map(({ stats, ...rest }) => ({ ...rest, runsInFlight: stats.runsInFlight ?? [] }))),

  tokens: adminProcedure.output(z.array(tokenViewSchema)).query(({ ctx }) => ctx.container.tokens.list()),

  createToken: adminProcedure
    .input(createTokenInputSchema)
    .output(z.object({ token: z.string(), view: tokenViewSchema }))
    .mutation(({ ctx, input }) => ctx.container.tokens.create(ctx.caller, input)),

  revokeToken: adminProcedure
    .input(z.object({ id: z.string().min(1).max(100) }))
    .output(tokenViewSchema)
    .mutation(({ ctx, input }) => ctx.container.tokens.revoke(ctx.caller, input.id)),

  operators: adminProcedure.output(z.array(operatorViewSchema)).query(({ ctx }) => ctx.container.operators.list()),

  createOperator: adminProcedure
    .input(createOperatorInputSchema)
    .output(operatorViewSchema)
    .mutation(({ ctx, input }) => ctx.container.operators.create(ctx.caller, input)),

  setOperatorRole: adminProcedure
    .input(z.object({ id: z.string().min(1).max(100), role: z.enum(ROLES) }))
    .output(operatorViewSchema)
    .mutation(({ ctx, input }) => ctx.container.operators.setRole(ctx.caller, input.id, input.role)),

  setOperatorDisabled: adminProcedure
    .input(z.object({ id: z.string().min(1).max(100), disabled: z.boolean() }))
    .output(operatorViewSchema)
    .mutation(({ ctx, input }) => ctx.container.operators.setDisabled(ctx.caller, input.id, input.disabled)),

  /** An operator's live sessions (when they started, last seen, when they end). */
  operatorSessions: adminProcedure
    .input(operatorSessionsInputSchema)
    .output(z.array(sessionViewSchema))
    .query(({ ctx, input }) => ctx.container.sessions.list(input.operatorId, ctx.sessionToken)),

  /** Ends one session of an operator, or all of them; every instance refuses them from the next request on. */
  endOperatorSessions: adminProcedure
    .input(endSessionsInputSchema)
    .output(z.object({ ended: z.number() }))
    .mutation(({ ctx, input }) => ctx.container.sessions.end(ctx.caller, input.operatorId, input.sessionId)),

  /** The audit log, newest first, filtered by exact actor, action or target (an automation key, a token name…). */
  audit: adminProcedure
    .input(
      z.object({
        actor: filterText,
        action: filterText,
        target: filterText,
        limit: z.number().int().min(1).max(200).default(50),
        beforeId: z.number().int().optional(),
      }),
    )
    .output(z.object({ entries: z.array(auditEntrySchema), nextBeforeId: z.number().nullable() }))
    .query(async ({ ctx, input }) => {
      const entries = await ctx.container.audit.list({ ...input, limit: input.limit + 1 });
      const page = entries.slice(0, input.limit);
      return { entries: page, nextBeforeId: entries.length > input.limit ? (page[page.length - 1]?.id ?? null) : null };
    }),
});
