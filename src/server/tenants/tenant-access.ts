import 'server-only';
import { AppError } from '../errors';

/**
 * Which tenants a caller may see. API tokens can be restricted to one tenant (`tokens create --tenant SLUG`);
 * operators and unrestricted tokens see all. Objects of other tenants answer 404, exactly like objects that do
 * not exist, so a restricted token cannot learn what other tenants have.
 */
export interface TenantAccess {
  /** The only tenant visible, or null for all. */
  restrictedTo: string | null;
}

export const ALL_TENANTS: TenantAccess = { restrictedTo: null };

export function tenantAccessOf(principal: { tenantId: string | null }): TenantAccess {
  return { restrictedTo: principal.tenantId };
}

export function canSee(access: TenantAccess, tenantId: string): boolean {
  return access.restrictedTo === null || access.restrictedTo === tenantId;
}

/** Throws NOT_FOUND (with the caller's own wording) when the tenant is not visible. */
export function assertVisible(access: TenantAccess, tenantId: string, notFound: () => AppError): void {
  if (!canSee(access, tenantId)) throw notFound();
}

export function tenantNotFound(id: string): AppError {
  return new AppError('NOT_FOUND', `Tenant not found: ${id}`);
}
