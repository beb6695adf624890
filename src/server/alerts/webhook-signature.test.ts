import { describe, expect, it } from 'vitest';
import { signWebhook, signatureHeader, verifyWebhook } from './webhook-signature';

describe('webhook signatures during a rotation', () => {
  const body = '{"type":"incident.fired"}';
  const at = 1_764_000_000;
  const check = (secret: string, header: string) => verifyWebhook({ secret, body, signatureHeader: header, timestampHeader: String(at), nowSeconds: at });

  it('lists one v1 signature per secret, the current first; each secret verifies the header', () => {
    const header = signatureHeader(['new-secret-0123456789', 'old-secret-0123456789'], at, body);
    expect(header).toBe(`${signWebhook('new-secret-0123456789', at, body)},${signWebhook('old-secret-0123456789', at, body)}`);
    expect(check('new-secret-0123456789', header)).toBeNull();
    expect(check('old-secret-0123456789', header)).toBeNull();
    expect(check('other-secret-0123456789', header)).toBe('signature does not match');
  });

  it('with one secret the header is exactly the single signature it always was', () => {
    expect(signatureHeader(['only-secret-0123456789'], at, body)).toBe(signWebhook('only-secret-0123456789', at, body));
  });
});
