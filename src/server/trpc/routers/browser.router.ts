import 'server-only';
import { z } from 'zod';
import {
  createSessionInputSchema,
  listSessionsQuerySchema,
  navigateInputSchema,
  screenshotResultSchema,
  sessionIdSchema,
  sessionListSchema,
  sessionResultSchema,
  tenantOptionSchema,
  thumbnailSchema,
} from '../../browser/browser.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';
import { browserTopic } from '../live-feeds';
import { followTopic } from '../live-stream';

const idInput = z.object({ id: sessionIdSchema });

/** The browser procedures of the console: the same operations as the REST API, through the same service. */
export const browserRouter = router({
  list: operatorProcedure
    .input(listSessionsQuerySchema)
    .output(sessionListSchema)
    .query(async ({ ctx, input }) => ({ sessions: await ctx.container.browser.sessions.list(ctx.caller, input) })),

  get: operatorProcedure
    .input(idInput)
    .output(sessionResultSchema)
    .query(async ({ ctx, input }) => ({ session: await ctx.container.browser.sessions.get(ctx.caller, input.id) })),

  /** The thumbnail taken after the session's last action; reading it is not activity. */
  thumbnail: operatorProcedure
    .input(idInput)
    .output(thumbnailSchema)
    .query(({ ctx, input }) => ctx.container.browser.sessions.thumbnail(ctx.caller, input.id)),

  tenants: operatorProcedure.output(z.array(tenantOptionSchema)).query(({ ctx }) => ctx.container.browser.sessions.tenantOptions(ctx.caller)),

  create: adminProcedure
    .input(createSessionInputSchema)
    .output(sessionResultSchema)
    .mutation(async ({ ctx, input }) => ({ session: await ctx.container.browser.sessions.create(ctx.caller, input) })),

  navigate: adminProcedure
    .input(idInput.extend(navigateInputSchema.shape))
    .output(sessionResultSchema)
    .mutation(async ({ ctx, input }) => ({ session: await ctx.container.browser.sessions.navigate(ctx.caller, input.id, input.url) })),

  /** A PNG as a data URL. A mutation although it only looks: it counts as activity on the session. */
  screenshot: operatorProcedure
    .input(idInput)
    .output(screenshotResultSchema)
    .mutation(async ({ ctx, input }) => {
      const { png, session } = await ctx.container.browser.sessions.screenshot(ctx.caller, input.id);
      return { dataUrl: `data:image/png;base64,${png.toString('base64')}`, session };
    }),

  close: adminProcedure
    .input(idInput)
    .output(sessionResultSchema)
    .mutation(async ({ ctx, input }) => ({ session: await ctx.container.browser.sessions.close(ctx.caller, input.id) })),

  /** The list as a snapshot, then deltas on every session or runtime change, with event ids (see automations.onChange). */
  onChange: operatorProcedure.input(listSessionsQuerySchema.extend({ lastEventId: z.string().max(100).nullish() })).subscription(({ ctx, input, signal }) => {
    const { lastEventId, ...query } = input;
    return followTopic(ctx.container, ctx.operator.id, browserTopic(ctx.container, query), lastEventId, signal);
  }),
});
