import 'server-only';
import { getContainer } from '../container';
import { inferenceRoutes } from './inference.routes';
import { tenantRoutes } from './tenants.routes';

/** The tenants and inference-server REST handlers bound to the process-wide container; route files re-export these. */
export const tenantsApi = tenantRoutes(getContainer);
export const inferenceApi = inferenceRoutes(getContainer);
