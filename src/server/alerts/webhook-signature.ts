import 'server-only';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Headers of a generic webhook delivery (docs/alerts.md shows how a receiver checks them). */
export const WEBHOOK_HEADERS = {
  signature: 'x-alert-signature',
  timestamp: 'x-alert-timestamp',
  event: 'x-alert-event',
  attempt: 'x-alert-attempt',
  idempotencyKey: 'idempotency-key',
} as const;

/** Headers of a delivery to a `standard-webhooks` channel (https://www.standardwebhooks.com). */
export const STANDARD_WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const WHSEC = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Why `secret` is not a Standard Webhooks secret (`whsec_` + base64 of 24–64 random bytes, as the receiver
 * libraries expect it), or null when it is.
 */
export function standardSecretProblem(secret: string): string | null {
  if (!secret.startsWith(WHSEC)) return 'a standard-webhooks secret starts with whsec_ (leave it out to have one generated)';
  const encoded = secret.slice(WHSEC.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return 'a standard-webhooks secret is whsec_ followed by base64';
  const bytes = Buffer.from(encoded, 'base64').length;
  if (bytes < 24 || bytes > 64) return `a standard-webhooks secret encodes 24–64 bytes (this one ${bytes})`;
  return null;
}

/** A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateStandardSecret(): string {
  return WHSEC + randomBytes(32).toString('base64');
}

/**
 * One Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 over `<id>.<timestamp>.<body>`, keyed with the
 * bytes the `whsec_` secret encodes. The message id is inside the MAC, so the id receivers deduplicate on is signed.
 */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(WHSEC) ? secret.slice(WHSEC.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The `webhook-signature` value: one signature per secret, space-separated, the current secret first. */
export function standardSignatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => signStandardWebhook(s, id, timestampSeconds, body)).join(' ');
}

/**
 * `v1=` + hex HMAC-SHA256 over `<timestamp>.<body>` with the channel's secret. The timestamp (unix seconds of the
 * attempt) is inside the MAC so a captured request cannot be replayed later with a fresh timestamp header.
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * The `X-Alert-Signature` value: one `v1=` signature per secret, comma-separated, the current secret first. During a
 * rotation's overlap there are two (current, previous); a receiver accepts the request when any of them verifies
 * with the secret it holds, as in other multi-signature webhook schemes.
 */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  return secrets.map((s) => signWebhook(s, timestampSeconds, body)).join(',');
}

/**
 * The receiver's check: one of the header's signatures matches (each compared in constant time) and the timestamp
 * is within `toleranceSeconds` of `nowSeconds`. Returns why it fails, or null when the request is genuine.
 */
export function verifyWebhook(input: {
  secret: string;
  body: string;
  signatureHeader: string | undefined;
  timestampHeader: string | undefined;
  nowSeconds: number;
  toleranceSeconds?: number;
}): string | null {
  const timestamp = Number(input.timestampHeader);
  if (!input.timestampHeader || !Number.isInteger(timestamp)) return 'missing or malformed timestamp';
  if (Math.abs(input.nowSeconds - timestamp) > (input.toleranceSeconds ?? 300)) return 'timestamp outside the tolerance';
  const expected = Buffer.from(signWebhook(input.secret, timestamp, input.body));
  const candidates = (input.signatureHeader ?? '').split(',').map((s) => Buffer.from(s.trim()));
  const matches = candidates.some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  return matches ? null : 'signature does not match';
}
