import 'server-only';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { TenantService } from './tenant.service';

/** Tenants: the owners of servers, rules and sessions. No background work. */
export function createTenantsModule(deps: ModuleDeps) {
  const service = new TenantService({ database: deps.database, audit: deps.audit, now: deps.now });
  const lifecycle: Lifecycle = {};
  return { service, lifecycle };
}

export type TenantsModule = ReturnType<typeof createTenantsModule>;
