import { router } from '../init';

/** The alerts procedures of the console. */
export const alertsRouter = router({});
