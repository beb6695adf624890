import 'server-only';
import { getContainer } from '../container';
import { browserRoutes } from './browser.routes';

/** The browser-session REST handlers bound to the process-wide container; route files re-export these. */
export const browserApi = browserRoutes(getContainer);
