import type { Lifecycle, ModuleDeps } from '../module-deps';

/** Tenants: the owners of servers, rules and sessions. */
export function createTenantsModule(_deps: ModuleDeps) {
  return { lifecycle: {} as Lifecycle };
}

export type TenantsModule = ReturnType<typeof createTenantsModule>;
