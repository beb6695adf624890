import { z } from 'zod';
import { createOperatorInputSchema, createTokenInputSchema, operatorViewSchema, tokenViewSchema } from '../../auth/auth.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';

const instanceSchema = z.object({
  id: z.string(),
  version: z.string(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  lockProvider: z.string(),
  scheduler: z.boolean(),
  live: z.boolean(),
});

export const adminRouter = router({
  instances: operatorProcedure.output(z.array(instanceSchema)).query(async ({ ctx }) =>
    (await ctx.c.instances.recent()).map(({ stats: _stats, ...rest }) => rest),
  ),

  tokens: adminProcedure.output(z.array(tokenViewSchema)).query(({ ctx }) => ctx.c.tokens.list()),

  createToken: adminProcedure
    .input(createTokenInputSchema)
    .output(z.object({ token: z.string(), view: tokenViewSchema }))
    .mutation(({ ctx, input }) => ctx.c.tokens.create(input, `operator:${ctx.operator.email}`)),

  revokeToken: adminProcedure
    .input(z.object({ id: z.string().min(1).max(100) }))
    .output(tokenViewSchema)
    .mutation(({ ctx, input }) => ctx.c.tokens.revoke(input.id, `operator:${ctx.operator.email}`)),

  operators: adminProcedure.output(z.array(operatorViewSchema)).query(({ ctx }) => ctx.c.operators.list()),

  createOperator: adminProcedure
    .input(createOperatorInputSchema)
    .output(operatorViewSchema)
    .mutation(({ ctx, input }) => ctx.c.operators.create(input, `operator:${ctx.operator.email}`)),

  audit: adminProcedure
    .input(
      z.object({
        actor: z.string().max(200).optional(),
        action: z.string().max(100).optional(),
        target: z.string().max(200).optional(),
        limit: z.number().int().min(1).max(200).default(50),
        beforeId: z.number().int().optional(),
      }),
    )
    .query(({ ctx, input }) => ctx.c.audit.list(input)),
});
