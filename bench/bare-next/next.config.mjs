import path from 'node:path';

/**
 * The footprint baseline: the smallest Next.js app, built with the console's own `next` (resolved from the
 * repository's node_modules), with the same server-side settings that matter for memory.
 */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // The repository root holds the lockfile and node_modules this app is built with.
  turbopack: { root: path.resolve(import.meta.dirname, '..', '..') },
};

export default nextConfig;
