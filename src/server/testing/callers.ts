import { type Caller, operatorCaller, tokenCaller } from '../auth/caller';
import { ALL_TENANTS, type TenantAccess } from '../tenants/tenant-access';

/** An unrestricted API token as a caller (`token:<name>`), for tests that call the services directly. */
export function testToken(name = 'test'): Caller {
  return tokenCaller({ name, tenantId: null, scopes: new Set() });
}

/** A signed-in admin as a caller (`operator:<email>`). */
export function testOperator(email: string): Caller {
  return operatorCaller({ email, role: 'admin' });
}

/**
 * A caller recorded exactly as `label` (`operator:…` is an operator, anything else a token) seeing what `access`
 * allows, for tests that call the services directly with the label and the tenant view they mean to test.
 */
export function testCaller(label: string, access: TenantAccess = ALL_TENANTS): Caller {
  return { kind: label.startsWith('operator:') ? 'operator' : 'token', label, tenantId: access.restrictedTo, trigger: 'api' };
}

/** A caller for a read: only its view of the tenants matters. */
export function readerOf(access: TenantAccess): Caller {
  return testCaller('test', access);
}
