import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffMs, isRetryableStatus } from './notification-delivery';
import { signWebhook, verifyWebhook } from './webhook-signature';

describe('backoff', () => {
  const config = { backoffBaseMs: 1000, backoffMaxMs: 60_000 };
  const middle = () => 0.5; // no jitter

  it('doubles per attempt from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, config, middle))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('jitters within ±20 %', () => {
    expect(backoffMs(3, config, () => 0)).toBe(3200);
    expect(backoffMs(3, config, () => 1)).toBe(4800);
  });

  it('honours Retry-After up to the cap', () => {
    expect(backoffMs(1, config, middle, 30_000)).toBe(30_000);
    expect(backoffMs(1, config, middle, 3_600_000)).toBe(60_000);
  });

  it('retries server errors, timeouts and rate limits, not other client errors', () => {
    expect([500, 502, 503, 408, 425, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410, 422].some(isRetryableStatus)).toBe(false);
  });
});

describe('webhook signature', () => {
  const secret = 'a-secret-of-enough-length';
  const body = '{"type":"incident.fired"}';

  it('is HMAC-SHA256 over "<timestamp>.<body>" in hex, prefixed v1=', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, 1_700_000_000, body)).toBe(`v1=${expected}`);
  });

  it('verifies a genuine request and refuses tampering, another secret, or an old timestamp', () => {
    const signature = signWebhook(secret, 1_700_000_000, body);
    const base = { secret, body, signatureHeader: signature, timestampHeader: '1700000000', nowSeconds: 1_700_000_010 };
    expect(verifyWebhook(base)).toBeNull();
    expect(verifyWebhook({ ...base, body: body.replace('fired', 'resolved') })).toBe('signature does not match');
    expect(verifyWebhook({ ...base, secret: 'another-secret-entirely' })).toBe('signature does not match');
    expect(verifyWebhook({ ...base, timestampHeader: '1700000001' })).toBe('signature does not match');
    expect(verifyWebhook({ ...base, nowSeconds: 1_700_000_000 + 301 })).toBe('timestamp outside the tolerance');
    expect(verifyWebhook({ ...base, timestampHeader: undefined })).toBe('missing or malformed timestamp');
    expect(verifyWebhook({ ...base, signatureHeader: undefined })).toBe('signature does not match');
  });
});
