import 'server-only';
import { z } from 'zod';
import { pageQueryShape } from '../db/keyset-page';

/** Same slug rule as automation keys: lower-case letters and digits in groups joined by single dashes. */
export const tenantSlugSchema = z
  .string()
  .trim()
  .regex(/^(?=.{1,64}$)[a-z0-9]+(-[a-z0-9]+)*$/, 'slug must be 1–64 lower-case letters and digits, in groups joined by single dashes');

export const tenantNameSchema = z.string().trim().min(1, 'name is required').max(100, 'name must be at most 100 characters');

export const tenantIdSchema = z.string().min(1).max(100);

export const createTenantInputSchema = z.strictObject({ name: tenantNameSchema, slug: tenantSlugSchema });
export type CreateTenantInput = z.infer<typeof createTenantInputSchema>;

/** Rename (and optionally re-slug) a tenant; at least one field. */
export const updateTenantInputSchema = z
  .strictObject({ name: tenantNameSchema.optional(), slug: tenantSlugSchema.optional() })
  .refine((v) => v.name !== undefined || v.slug !== undefined, { message: 'give name or slug (or both) to change' });
export type UpdateTenantInput = z.infer<typeof updateTenantInputSchema>;

export const tenantViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  createdAt: z.string(),
  /** What the tenant owns; a tenant can be deleted only when all three are 0. */
  usage: z.object({ inferenceServers: z.number(), alertRules: z.number(), browserSessions: z.number() }),
});
export type TenantView = z.infer<typeof tenantViewSchema>;

/** REST's GET /tenants: a page (docs/api.md "Pagination"). */
export const pageTenantsQuerySchema = z.strictObject(pageQueryShape);
