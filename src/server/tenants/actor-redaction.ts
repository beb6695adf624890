import 'server-only';
import type { TenantAccess } from './tenant-access';

/**
 * What a caller may learn of who acted. Actor labels are `operator:<email>` or `token:<name>` (or a system actor
 * such as `schedule`); a tenant-restricted caller sees only the kind (`operator`, `token`), never the email or
 * the token's name: both belong to the platform's staff and tooling, not to the tenant. Everyone else sees the
 * label unchanged.
 */
export function actorFor(access: TenantAccess, label: string): string;
export function actorFor(access: TenantAccess, label: string | null): string | null;
export function actorFor(access: TenantAccess, label: string | null): string | null {
  if (access.restrictedTo === null || label === null) return label;
  const colon = label.indexOf(':');
  return colon < 0 ? label : label.slice(0, colon);
}

/** Whether free text written by the platform's people (pause reasons) may be shown to the caller. */
export function mayReadPlatformNotes(access: TenantAccess): boolean {
  return access.restrictedTo === null;
}
