import 'server-only';
import { getContainer } from '../container';
import { alertRoutes } from './alerts.routes';

/** The alert REST handlers bound to the process-wide container; route files re-export these. */
export const alertsApi = alertRoutes(getContainer);
