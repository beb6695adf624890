/**
 * Environment variables of the inference domain, as a zod shape; src/server/config/env.ts merges every domain's
 * shape into the one schema that is parsed at start.
 */
export const inferenceEnv = {};
