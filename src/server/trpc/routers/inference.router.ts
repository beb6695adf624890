import 'server-only';
import { z } from 'zod';
import {
  createServerInputSchema,
  demoStatusSchema,
  listServersQuerySchema,
  sampleViewSchema,
  samplesQuerySchema,
  serverIdSchema,
  serverViewSchema,
  updateServerInputSchema,
} from '../../inference/inference.schemas';
import { tenantViewSchema } from '../../tenants/tenants.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';

const idInput = z.object({ id: serverIdSchema });

/** Inference servers and samples in the console; same service as REST /inference-servers. */
export const inferenceRouter = router({
  list: operatorProcedure
    .input(listServersQuerySchema.optional())
    .output(z.array(serverViewSchema))
    .query(({ ctx, input }) => ctx.container.inference.servers.list(ctx.caller, input ?? {})),

  get: operatorProcedure
    .input(idInput)
    .output(serverViewSchema)
    .query(({ ctx, input }) => ctx.container.inference.servers.get(ctx.caller, input.id)),

  samples: operatorProcedure
    .input(idInput.extend(samplesQuerySchema.shape))
    .output(z.array(sampleViewSchema))
    .query(({ ctx, input }) => ctx.container.inference.servers.samples(ctx.caller, input.id, { since: input.since, limit: input.limit })),

  create: adminProcedure
    .input(createServerInputSchema)
    .output(serverViewSchema)
    .mutation(({ ctx, input }) => ctx.container.inference.servers.create(ctx.caller, input)),

  update: adminProcedure
    .input(idInput.extend({ changes: updateServerInputSchema }))
    .output(serverViewSchema)
    .mutation(({ ctx, input }) => ctx.container.inference.servers.update(ctx.caller, input.id, input.changes)),

  delete: adminProcedure
    .input(idInput)
    .output(serverViewSchema)
    .mutation(({ ctx, input }) => ctx.container.inference.servers.delete(ctx.caller, input.id)),

  demoStatus: operatorProcedure.output(demoStatusSchema).query(({ ctx }) => ctx.container.inference.demo.status()),

  /** Creates the `demo` tenant with one server of each kind pointing at the demo fleet (DEMO_FLEET=on). */
  loadDemo: adminProcedure
    .output(z.object({ tenant: tenantViewSchema, servers: z.array(serverViewSchema), created: z.number() }))
    .mutation(({ ctx }) => ctx.container.inference.demo.load(ctx.caller)),
});
