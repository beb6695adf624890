import { router } from '../init';

/** The inference procedures of the console. */
export const inferenceRouter = router({});
