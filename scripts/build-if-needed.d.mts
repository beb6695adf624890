export const root: string;
export const nextBin: string;
/** Builds with `next build` unless .next holds a build of the current sources; false when the build fails. */
export function buildIfNeeded(env: NodeJS.ProcessEnv): boolean;
