/** Headers every response gets: no MIME sniffing, no referrer leaving the console, never framed. */
const SECURITY_HEADERS = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'no-referrer' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()' },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and process-level packages stay outside the bundle.
  serverExternalPackages: ['better-sqlite3', 'ioredis', 'node-cron', 'pg', 'pino', '@node-rs/argon2', 'playwright', 'playwright-core', 'rate-limiter-flexible'],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [{ source: '/:path*', headers: SECURITY_HEADERS }];
  },
};

export default nextConfig;
