import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import {
  generateStandardSecret,
  signStandardWebhook,
  signWebhook,
  signatureHeader,
  standardSecretProblem,
  standardSignatureHeader,
  verifyWebhook,
} from './webhook-signature';

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

describe('Standard Webhooks signatures', () => {
  const body = '{"type":"incident.fired"}';
  const at = 1_764_000_000;
  const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
  const previous = `whsec_${Buffer.alloc(32, 4).toString('base64')}`;

  it('are what the standardwebhooks library computes for the same id, timestamp and body; several are space-separated', () => {
    expect(signStandardWebhook(secret, 'msg-1', at, body)).toBe(new Webhook(secret).sign('msg-1', new Date(at * 1000), body));
    expect(standardSignatureHeader([secret, previous], 'msg-1', at, body)).toBe(
      `${signStandardWebhook(secret, 'msg-1', at, body)} ${signStandardWebhook(previous, 'msg-1', at, body)}`,
    );
    expect(signStandardWebhook(secret, 'msg-2', at, body)).not.toBe(signStandardWebhook(secret, 'msg-1', at, body));
  });

  it('take whsec_ secrets of 24–64 bytes, and generate 32-byte ones', () => {
    expect(standardSecretProblem(secret)).toBeNull();
    expect(standardSecretProblem(generateStandardSecret())).toBeNull();
    expect(generateStandardSecret()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(standardSecretProblem('plain-secret-0123456789')).toContain('starts with whsec_');
    expect(standardSecretProblem('whsec_not base64!')).toContain('followed by base64');
    expect(standardSecretProblem(`whsec_${Buffer.alloc(23).toString('base64')}`)).toContain('(this one 23)');
    expect(standardSecretProblem(`whsec_${Buffer.alloc(65).toString('base64')}`)).toContain('(this one 65)');
  });
});
