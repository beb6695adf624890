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
import { ALL_TENANTS } from '../../tenants/tenant-access';
import { tenantViewSchema } from '../../tenants/tenants.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';

const idInput = z.object({ id: serverIdSchema });

/** Inference servers and samples in the console; same service as REST /inference-servers. */
export const inferenceRouter = router({
  list: operatorProcedure
    .input(listServersQuerySchema.optional())
    .output(z.array(serverViewSchema))
    .query(({ ctx, input }) => ctx.container.inference.servers.list(input ?? {}, ALL_TENANTS)),

  get: operatorProcedure.input(idInput).output(serverViewSchema).query(({ ctx, input }) => ctx.container.inference.servers.get(input.id, ALL_TENANTS)),

  samples: operatorProcedure
    .input(idInput.extend(samplesQuerySchema.shape))
    .output(z.array(sampleViewSchema))
    .query(({ ctx, input }) => ctx.container.inference.servers.samples(input.id, { since: input.since, limit: input.limit }, ALL_TENANTS)),

  create: adminProcedure
    .input(createServerInputSchema)
    .output(serverViewSchema)
    .mutation(({ ctx, input }) => ctx.container.inference.servers.create(input, ctx.caller.label, ALL_TENANTS)),

  update: adminProcedure
    .input(idInput.extend({ changes: updateServerInputSchema }))
    .output(serverViewSchema)
    .mutation(({ ctx, input }) => ctx.container.inference.servers.update(input.id, input.changes, ctx.caller.label, ALL_TENANTS)),

  delete: adminProcedure
    .input(idInput)
    .output(serverViewSchema)
    .mutation(({ ctx, input }) => ctx.container.inference.servers.delete(input.id, ctx.caller.label, ALL_TENANTS)),

  demoStatus: operatorProcedure.output(demoStatusSchema).query(({ ctx }) => ctx.container.inference.demo.status()),

  /** Creates the `demo` tenant with one server of each kind pointing at the demo fleet (DEMO_FLEET=on). */
  loadDemo: adminProcedure
    .output(z.object({ tenant: tenantViewSchema, servers: z.array(serverViewSchema), created: z.number() }))
    .mutation(({ ctx }) => ctx.container.inference.demo.load(ctx.caller)),
});
