/**
 * Environment variables of the browser domain, as a zod shape; src/server/config/env.ts merges every domain's
 * shape into the one schema that is parsed at start.
 */
export const browserEnv = {};
