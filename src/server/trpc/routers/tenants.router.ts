import 'server-only';
import { z } from 'zod';
import { ALL_TENANTS } from '../../tenants/tenant-access';
import { createTenantInputSchema, tenantIdSchema, tenantViewSchema, updateTenantInputSchema } from '../../tenants/tenants.schemas';
import { adminProcedure, operatorProcedure, router } from '../init';

const idInput = z.object({ id: tenantIdSchema });

/** Tenants in the console: operators see every tenant; admins may change them. Same service as REST /tenants. */
export const tenantsRouter = router({
  list: operatorProcedure.output(z.array(tenantViewSchema)).query(({ ctx }) => ctx.container.tenants.service.list(ALL_TENANTS)),

  get: operatorProcedure.input(idInput).output(tenantViewSchema).query(({ ctx, input }) => ctx.container.tenants.service.get(input.id, ALL_TENANTS)),

  create: adminProcedure
    .input(createTenantInputSchema)
    .output(tenantViewSchema)
    .mutation(({ ctx, input }) => ctx.container.tenants.service.create(input, ctx.caller.label, ALL_TENANTS)),

  update: adminProcedure
    .input(idInput.extend({ changes: updateTenantInputSchema }))
    .output(tenantViewSchema)
    .mutation(({ ctx, input }) => ctx.container.tenants.service.update(input.id, input.changes, ctx.caller.label, ALL_TENANTS)),

  delete: adminProcedure
    .input(idInput)
    .output(tenantViewSchema)
    .mutation(({ ctx, input }) => ctx.container.tenants.service.delete(input.id, ctx.caller.label, ALL_TENANTS)),
});
