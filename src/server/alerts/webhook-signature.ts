import 'server-only';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a generic webhook delivery (docs/alerts.md shows how a receiver checks them). */
export const WEBHOOK_HEADERS = {
  signature: 'x-alert-signature',
  timestamp: 'x-alert-timestamp',
  event: 'x-alert-event',
  attempt: 'x-alert-attempt',
  idempotencyKey: 'idempotency-key',
} as const;

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
