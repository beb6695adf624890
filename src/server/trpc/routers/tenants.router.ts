import 'server-only';
import { z } from 'zod';
import { createTenantInputSchema, tenantIdSchema, tenantViewSchema, updateTenantInputSchema } from '../../tenants/tenants.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';

const idInput = z.object({ id: tenantIdSchema });

/** Tenants in the console: operators see every tenant; admins may change them. Same service as REST /tenants. */
export const tenantsRouter = router({
  list: operatorProcedure.output(z.array(tenantViewSchema)).query(({ ctx }) => ctx.container.tenants.service.list(ctx.caller)),

  get: operatorProcedure
    .input(idInput)
    .output(tenantViewSchema)
    .query(({ ctx, input }) => ctx.container.tenants.service.get(ctx.caller, input.id)),

  create: adminProcedure
    .input(createTenantInputSchema)
    .output(tenantViewSchema)
    .mutation(({ ctx, input }) => ctx.container.tenants.service.create(ctx.caller, input)),

  update: adminProcedure
    .input(idInput.extend({ changes: updateTenantInputSchema }))
    .output(tenantViewSchema)
    .mutation(({ ctx, input }) => ctx.container.tenants.service.update(ctx.caller, input.id, input.changes)),

  delete: adminProcedure
    .input(idInput)
    .output(tenantViewSchema)
    .mutation(({ ctx, input }) => ctx.container.tenants.service.delete(ctx.caller, input.id)),
});
