import 'server-only';
import { getContainer } from '../container';
import { inferenceRoutes } from './inference.routes';

/** The inference-server REST handlers bound to the process-wide container; route files re-export these. */
export const inferenceApi = inferenceRoutes(getContainer);
