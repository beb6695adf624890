/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and process-level packages stay outside the bundle.
  serverExternalPackages: ['better-sqlite3', 'ioredis', 'node-cron', 'pg', 'pino', '@node-rs/argon2', 'playwright', 'playwright-core', 'rate-limiter-flexible'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
