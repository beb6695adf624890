import 'server-only';
import { getContainer } from '../container';
import { tenantRoutes } from './tenants.routes';

/** The tenants REST handlers bound to the process-wide container; route files re-export these. */
export const tenantsApi = tenantRoutes(getContainer);
