import { router } from '../init';

/** The browser procedures of the console. */
export const browserRouter = router({});
