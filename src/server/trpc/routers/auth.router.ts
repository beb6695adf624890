import 'server-only';
import { z } from 'zod';
import { changePasswordInputSchema, loginInputSchema } from '../../auth/auth.schemas';
import { SESSION_TTL_MS } from '../../auth/operator.service';
import { sessionCookie } from '../context';
import { operatorProcedure, publicProcedure, router } from '../init';

const meOutput = z.object({ email: z.string(), role: z.enum(['admin', 'viewer']) }).nullable();

export const authRouter = router({
  me: publicProcedure.output(meOutput).query(({ ctx }) => (ctx.operator ? { email: ctx.operator.email, role: ctx.operator.role } : null)),

  login: publicProcedure
    .input(loginInputSchema)
    .output(meOutput)
    .mutation(async ({ ctx, input }) => {
      const { sessionToken, operator } = await ctx.container.operators.login(input.email, input.password, ctx.clientKey);
      ctx.resHeaders.append('set-cookie', sessionCookie(sessionToken, SESSION_TTL_MS / 1000, ctx.secure));
      return { email: operator.email, role: operator.role };
    }),

  changePassword: operatorProcedure
    .input(changePasswordInputSchema)
    .output(z.null())
    .mutation(async ({ ctx, input }) => {
      await ctx.container.operators.changePassword(ctx.operator.id, input.current, input.next, ctx.sessionToken);
      return null;
    }),

  logout: publicProcedure.output(z.null()).mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await ctx.container.operators.logout(ctx.sessionToken);
    ctx.resHeaders.append('set-cookie', sessionCookie('', 0, ctx.secure));
    return null;
  }),
});
