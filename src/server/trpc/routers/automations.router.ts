import { z } from 'zod';
import { automationViewSchema, pauseInputSchema, runViewSchema, runsQuerySchema } from '../../automations/automation.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';

const keyInput = z.object({ key: z.string().max(200) });
const runNowOutput = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('finished'), run: runViewSchema, automation: automationViewSchema }),
  z.object({ outcome: z.literal('already-running'), runningOn: z.array(z.string()), automation: automationViewSchema }),
]);

/** How often the live stream re-sends views with nothing changed (countdowns, overdue detection). */
const REFRESH_MS = 15_000;
/** Changes arriving within this window are sent as one update. */
const DEBOUNCE_MS = 50;

const actorOf = (email: string) => ({ label: `operator:${email}`, trigger: 'console' as const });

export const automationsRouter = router({
  list: operatorProcedure.output(z.array(automationViewSchema)).query(({ ctx }) => ctx.c.automations.list()),

  get: operatorProcedure.input(keyInput).output(automationViewSchema).query(({ ctx, input }) => ctx.c.automations.get(input.key)),

  runs: operatorProcedure
    .input(keyInput.extend(runsQuerySchema.shape))
    .output(z.object({ runs: z.array(runViewSchema), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => ctx.c.automations.runs(input.key, { limit: input.limit, cursor: input.cursor })),

  run: adminProcedure
    .input(keyInput)
    .output(runNowOutput)
    .mutation(({ ctx, input }) => ctx.c.automations.run(input.key, actorOf(ctx.operator.email))),

  pause: adminProcedure
    .input(keyInput.extend(pauseInputSchema.shape))
    .output(automationViewSchema)
    .mutation(({ ctx, input }) =>
      ctx.c.automations.pause(input.key, actorOf(ctx.operator.email), { reason: input.reason, until: input.until }),
    ),

  resume: adminProcedure
    .input(keyInput)
    .output(automationViewSchema)
    .mutation(({ ctx, input }) => ctx.c.automations.resume(input.key, actorOf(ctx.operator.email))),

  /**
   * Live views over SSE: the full list at once, then again whenever any instance reports a change (and every
   * 15 s, for countdowns). Each message is the whole list, so a client that missed messages is whole again
   * with the next one.
   */
  onChange: operatorProcedure.subscription(async function* ({ ctx, signal }) {
    let wake: (() => void) | null = null;
    let dirty = false;
    // One abort listener for the whole stream (not one per wait, which would pile up on long connections).
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    const unsubscribe = ctx.c.bus.subscribe((event) => {
      if (event.type !== 'automation' && event.type !== 'instances') return;
      dirty = true;
      wake?.();
    });
    try {
      yield await ctx.c.automations.list();
      while (!signal?.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, REFRESH_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
          if (dirty) wake();
        });
        wake = null;
        if (signal?.aborted) break;
        await new Promise((r) => setTimeout(r, DEBOUNCE_MS));
        dirty = false;
        yield await ctx.c.automations.list();
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      unsubscribe();
    }
  }),
});
