import { type Caller, operatorCaller, tokenCaller } from '../auth/caller';

/** An unrestricted API token as a caller (`token:<name>`), for tests that call the services directly. */
export function testToken(name = 'test'): Caller {
  return tokenCaller({ name, tenantId: null, scopes: new Set() });
}

/** A signed-in admin as a caller (`operator:<email>`). */
export function testOperator(email: string): Caller {
  return operatorCaller({ email, role: 'admin' });
}
