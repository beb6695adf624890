// `import 'server-only'` marks a module as server code. The package resolves to an empty module under the
// `react-server` export condition, which only Next's server bundles set, and to one that throws everywhere else.
// The CLI, the bench and other tsx entry points are server code outside Next: this preload puts an empty, already
// loaded module in the require cache under the package's resolved path, so that one import is a no-op there.
// Nothing else changes (unlike `--conditions=react-server`, which would switch React to its server build).
// tsx compiles our .ts to CommonJS and Node's ESM loader consults the same cache, so both import styles see it.
// Use: the first import of an entry (`import './server-only-outside-next.cjs'`) or `node --require <this file>`.
const Module = require('node:module');

const guard = require.resolve('server-only');
if (!require.cache[guard]) {
  const empty = new Module(guard, module);
  empty.filename = guard;
  empty.loaded = true;
  require.cache[guard] = empty;
}
