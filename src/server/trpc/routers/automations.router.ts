import 'server-only';
import { z } from 'zod';
import { automationViewSchema, pauseInputSchema, runViewSchema, runsQuerySchema } from '../../automations/automation.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';
import { automationsTopic } from '../live-feeds';
import { followTopic } from '../live-stream';

const keyInput = z.object({ key: z.string().max(200) });
const lastEventIdInput = z.object({ lastEventId: z.string().max(100).nullish() }).optional();
const runNowOutput = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('finished'), run: runViewSchema, automation: automationViewSchema }),
  z.object({ outcome: z.literal('already-running'), runningOn: z.array(z.string()), automation: automationViewSchema }),
]);

export const automationsRouter = router({
  list: operatorProcedure.output(z.array(automationViewSchema)).query(({ ctx }) => ctx.container.automations.list(ctx.caller)),

  get: operatorProcedure
    .input(keyInput)
    .output(automationViewSchema)
    .query(({ ctx, input }) => ctx.container.automations.get(ctx.caller, input.key)),

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
    .mutation(({ ctx, input }) => ctx.container.automations.pause(ctx.caller, input.key, { reason: input.reason, until: input.until })),

  resume: adminProcedure
    .input(keyInput)
    .output(automationViewSchema)
    .mutation(({ ctx, input }) => ctx.container.automations.resume(ctx.caller, input.key)),

  /**
   * Live views over SSE (docs/api.md "Live streams"): a snapshot of the list, then deltas as any instance reports a
   * change, each with an event id; a reconnect with Last-Event-ID gets only what it missed.
   */
  onChange: operatorProcedure
    .input(lastEventIdInput)
    .subscription(({ ctx, input, signal }) => followTopic(ctx.container, ctx.operator.id, automationsTopic(ctx.container), input?.lastEventId, signal)),
});
