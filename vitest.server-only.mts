import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * `import 'server-only'` resolves to a module that throws unless the `react-server` condition is on, which only
 * Next's server bundles set. Tests run server code outside Next, so they get the package's own empty module for
 * that one specifier; React and everything else keep their normal resolution.
 */
const packageDir = path.dirname(createRequire(import.meta.url).resolve('server-only'));
export const serverOnlyAlias = { 'server-only': path.join(packageDir, 'empty.js') };
