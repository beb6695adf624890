import 'server-only';
import { z } from 'zod';
import { automationViewSchema, pauseInputSchema, runViewSchema, runsQuerySchema } from '../../automations/automation.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';
import { openLiveStream } from '../live-stream';

const keyInput = z.object({ key: z.string().max(200) });
const runNowOutput = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('finished'), run: runViewSchema, automation: automationViewSchema }),
  z.object({ outcome: z.literal('already-running'), runningOn: z.array(z.string()), automation: automationViewSchema }),
]);

export const automationsRouter = router({
  list: operatorProcedure.output(z.array(automationViewSchema)).query(({ ctx }) => ctx.container.automations.list(ctx.caller)),

  get: operatorProcedure.input(keyInput).output(automationViewSchema).query(({ ctx, input }) => ctx.container.automations.get(ctx.caller, input.key)),

  runs: operatorProcedure
    .input(keyInput.extend(runsQuerySchema.shape))
    .output(z.object({ runs: z.array(runViewSchema), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => ctx.container.automations.runs(ctx.caller, input.key, { limit: input.limit, cursor: input.cursor })),

  run: adminProcedure
    .input(keyInput)
    .output(runNowOutput)
    .mutation(({ ctx, input }) => ctx.container.automations.run(ctx.caller, input.key)),

  pause: adminProcedure
    .input(keyInput.extend(pauseInputSchema.shape))
    .output(automationViewSchema)
    .mutation(({ ctx, input }) =>
      ctx.container.automations.pause(ctx.caller, input.key, { reason: input.reason, until: input.until }),
    ),

  resume: adminProcedure
    .input(keyInput)
    .output(automationViewSchema)
    .mutation(({ ctx, input }) => ctx.container.automations.resume(ctx.caller, input.key)),

  /**
   * Live views over SSE: the full list at once, then again whenever any instance reports a change (and every
   * 15 s, for countdowns). Each message is the whole list, so a client that missed messages is whole again
   * with the next one.
   */
  onChange: operatorProcedure.subscription(({ ctx, signal }) =>
    openLiveStream(ctx.container, ctx.operator.id, (event) => event.type === 'automation' || event.type === 'browser-sessions' || event.type === 'instances', () => ctx.container.automations.list(ctx.caller), signal),
  ),
});
