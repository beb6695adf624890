// ESLint 9 flat config: typescript-eslint's recommended rules (syntactic only, so `npm run lint` takes seconds) and
// the import rules that keep the layout of docs/architecture.md true: domains know no framework and no adapter,
// the UI reaches the server only for types, test support stays out of production code.
import tseslint from 'typescript-eslint';

const DOMAINS = ['alerts', 'inference', 'browser', 'tenants', 'auth', 'automations', 'coordination', 'db', 'net', 'audit', 'observability'];
const TESTS = ['**/*.test.ts', '**/*.test.tsx'];

/** Server code runs under Next, the CLI, tests and the bench alike: it does not depend on the framework or React. */
const noFramework = {
  group: ['next', 'next/*', 'react', 'react/*', 'react-dom', 'react-dom/*'],
  message: 'Server code does not import Next or React; only src/app and src/proxy.ts do.',
};
const noTrpc = { group: ['@trpc/*'], message: 'Only the tRPC adapter (src/server/trpc/) and test support import @trpc.' };

/** An arrow back up: a domain importing an adapter or the composition root (relative or through the `@/` alias). */
const adaptersAndRoot = [
  { regex: '(^|/)(http|trpc)(/|$)', message: 'A domain does not import an adapter (http/, trpc/): the adapters call the domains.' },
  {
    regex: '^((\\.\\./)+|@/server/)(container|boot)$',
    message: 'A domain does not import the composition root (container, boot): it gets its dependencies through its constructor.',
  },
];

const testSupport = { regex: '(^|/)testing(/|$)', message: 'Test support (src/server/testing/) is for tests only.' };

/** A folder below the domains: its non-test files import none of `domains` (nor what no domain may import). */
function groundFolder(folder, domains, message) {
  const domain = { regex: `^(\\.\\./)+(${domains.join('|')})(/|$)`, message };
  return {
    files: [`src/server/${folder}/**/*.ts`],
    ignores: TESTS,
    rules: { 'no-restricted-imports': ['error', { patterns: [noFramework, noTrpc, ...adaptersAndRoot, testSupport, domain] }] },
  };
}

export default tseslint.config(
  { ignores: ['**/.next/**', 'node_modules/**', 'data/**', '.test-data/**', 'test-results/**', 'playwright-report/**', 'blob-report/**', 'next-env.d.ts'] },
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are deliberate: a parameter an interface requires, or a destructured value left out.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Plain CommonJS preloads (scripts/*.cjs) have no other way to load a module.
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  // Import rules. Each block sets no-restricted-imports for its files whole (a later block replaces an earlier
  // block's options for the same rule), so the blocks are disjoint or list every pattern they need.
  {
    files: ['src/server/**/*.ts'],
    ignores: ['src/server/trpc/**', 'src/server/testing/**', ...DOMAINS.map((d) => `src/server/${d}/**`), ...TESTS],
    rules: { 'no-restricted-imports': ['error', { patterns: [noFramework, noTrpc, testSupport] }] },
  },
  {
    files: ['src/server/trpc/**/*.ts'],
    ignores: TESTS,
    rules: { 'no-restricted-imports': ['error', { patterns: [noFramework, testSupport] }] },
  },
  {
    files: ['src/server/trpc/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noFramework] }] },
  },
  {
    // Test support drives the adapters as a client would (tRPC client included), so it may import them.
    files: ['src/server/testing/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noFramework] }] },
  },
  {
    files: ['src/server/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noFramework, noTrpc] }] },
  },
  {
    files: DOMAINS.map((d) => `src/server/${d}/**/*.ts`),
    ignores: TESTS,
    rules: { 'no-restricted-imports': ['error', { patterns: [noFramework, noTrpc, ...adaptersAndRoot, testSupport] }] },
  },
  // db/ is the ground every domain stands on: the tables of all domains live in db/tables/, so no folder cycle runs
  // through it. config/ holds every environment shape and what is derived from it; every domain reads it, so it
  // reads no domain. (These blocks replace the domain block above for their files.)
  groundFolder(
    'db',
    ['alerts', 'inference', 'browser', 'tenants', 'auth', 'automations', 'audit', 'coordination'],
    'db/ imports no domain: a table type belongs in db/tables/, a vocabulary in src/shared/.',
  ),
  groundFolder(
    'config',
    ['alerts', 'inference', 'browser', 'tenants', 'auth', 'automations', 'audit'],
    "config/ imports no domain: a domain's variables are declared in config/<domain>.config.ts.",
  ),
  {
    files: DOMAINS.map((d) => `src/server/${d}/**/*.test.ts`),
    rules: { 'no-restricted-imports': ['error', { patterns: [noFramework, noTrpc, ...adaptersAndRoot] }] },
  },
  {
    // The UI runs in the browser too: from the server it takes types only (erased at build time).
    files: ['src/components/**/*.{ts,tsx}', 'src/lib/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [testSupport] }],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(@/server|(\\.\\./)+server)(/|$)', allowTypeImports: true, message: 'The UI imports from src/server with `import type` only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/app/**/*.{ts,tsx}', 'src/proxy.ts', 'src/instrumentation.ts'],
    ignores: TESTS,
    rules: { 'no-restricted-imports': ['error', { patterns: [testSupport] }] },
  },
  {
    // Vocabularies both sides read (scopes, session statuses, alert metrics): pure data, importing nothing of ours.
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noFramework,
            noTrpc,
            { regex: '^(@/|(\\.\\./)+)(server|components|lib|app)(/|$)', message: 'src/shared is pure data: it imports nothing of the server or the UI.' },
          ],
        },
      ],
    },
  },
);
