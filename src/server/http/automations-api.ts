import 'server-only';
import { getContainer } from '../container';
import { automationRoutes } from './automations.routes';

/** The REST handlers bound to the process-wide container; route files re-export these. */
export const automationsApi = automationRoutes(getContainer);
