import 'server-only';
/**
 * Security headers of the console's pages (issue 13 §6). Every response of the app also gets the static headers of
 * next.config.mjs (nosniff, Referrer-Policy, frame refusal); pages additionally get a per-request Content Security
 * Policy whose script nonce the framework puts on the scripts it renders (the proxy hands it the policy on the
 * request, the way Next's CSP guide describes).
 */

/** A fresh script nonce: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The policy for one page response. Scripts run only with the nonce ('strict-dynamic' lets the framework's own
 * chunks load the ones they import); styles allow inline attributes, which React's `style` props need and which
 * cannot carry a nonce; images allow data: and blob: (screenshots of browser sessions arrive as data URLs).
 * `development` adds 'unsafe-eval', which the dev server's hot reload needs and production never gets.
 */
export function contentSecurityPolicy(nonce: string, development = false): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** HSTS for one year, sent only on responses to requests that arrived over TLS (browsers ignore it otherwise). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';

/** Whether the request reached us over https, directly or through a TLS-terminating proxy that says so. */
export function arrivedOverTls(url: string, forwardedProto: string | null): boolean {
  return url.startsWith('https:') || forwardedProto?.split(',')[0]?.trim().toLowerCase() === 'https';
}
