import { router } from '../init';

/** The tenants procedures of the console. */
export const tenantsRouter = router({});
