import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { Container } from '../testing/container';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { createRuleInputSchema, updateRuleInputSchema } from './alerts.schemas';
import { type ReceivedRequest, insertSample, insertServer, insertTenant, webhookReceiver } from '../testing/alerts';
import { WEBHOOK_HEADERS, verifyWebhook } from './webhook-signature';
import { testCaller, testToken } from '../testing/callers';

/**
 * Standard Webhooks deliveries, checked by the `standardwebhooks` receiver library itself on what a real HTTP
 * receiver got from the real outbox: the signature, the signed id, both signatures during a rotation, the length.
 */
const TEST_CONSOLE_SECRET = 'standard-webhooks-test-secret-0123456789-01';
const LEGACY_SECRET = 'legacy-receiver-secret-0123456789';
type Receiver = Awaited<ReturnType<typeof webhookReceiver>>;

/** The request's headers as the library takes them (Node gives lowercase names; arrays do not occur here). */
const headersOf = (r: ReceivedRequest) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
const libraryVerifies = (secret: string, r: ReceivedRequest, headers = headersOf(r), body = r.body) => {
  try {
    new Webhook(secret).verify(body, headers);
    return true;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return false;
    throw error;
  }
};
const legacyProblem = (secret: string, r: ReceivedRequest) =>
  verifyWebhook({
    secret,
    body: r.body,
    signatureHeader: r.headers[WEBHOOK_HEADERS.signature] as string | undefined,
    timestampHeader: r.headers[WEBHOOK_HEADERS.timestamp] as string | undefined,
    nowSeconds: Math.floor(Date.now() / 1000),
  });

async function evaluate(c: Container) {
  const result = await c.automations.run(testToken(), 'alert-evaluation');
  if (result.outcome !== 'finished' || result.run.outcome !== 'succeeded') throw new Error(`evaluation did not succeed: ${result.outcome}`);
}

describe.each(TOPOLOGIES)('standard webhooks on %s', (topology, available) => {
  let built: TestContainer | null = null;
  const receivers: Receiver[] = [];

  beforeEach(({ skip }) => {
    if (!available) skip();
  });
  afterEach(async () => {
    await built?.c.alerts.lifecycle.stop?.();
    for (const r of receivers.splice(0)) await r.close();
    await built?.close();
    built = null;
  });

  it('must show: the standardwebhooks library verifies a real delivery, its signed id, and both signatures during a rotation; X-Alert-Signature channels are unchanged', async () => {
    built = await testContainer(topology, { CONSOLE_SECRET: TEST_CONSOLE_SECRET });
    const c = built.c;
    const standard = await webhookReceiver(null);
    const legacy = await webhookReceiver(LEGACY_SECRET);
    receivers.push(standard, legacy);
    const tenantId = await insertTenant(c.database.db);
    const server = await insertServer(c.database.db, tenantId, 'gpu-1');
    const rule = await c.alerts.service.createRule(
      testCaller('test'),
      createRuleInputSchema.parse({
        tenantId,
        name: 'KV cache full',
        metric: 'kvCacheUsagePct',
        operator: '>',
        threshold: 90,
        windowMinutes: 1,
        channels: [
          { type: 'webhook', url: standard.url, signatureScheme: 'standard-webhooks' },
          { type: 'webhook', url: legacy.url, secret: LEGACY_SECRET },
        ],
      }),
    );
    const [standardChannel, legacyChannel] = rule.channels;
    expect(standardChannel).toMatchObject({
      signatureScheme: 'standard-webhooks',
      hasSecret: true,
      generatedSecret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(legacyChannel).toMatchObject({ signatureScheme: 'x-alert-signature', hasSecret: true });
    const firstSecret = standardChannel?.generatedSecret ?? '';

    await insertSample(c.database.db, tenantId, server, Date.now() - 1000, { kv_cache_usage_pct: 97 });
    await evaluate(c);
    expect(await c.alerts.delivery.runOnce()).toBe(2);

    // The library verifies the real request as the receiver got it.
    expect(standard.received).toHaveLength(1);
    const fired = standard.received[0] as ReceivedRequest;
    expect(libraryVerifies(firstSecret, fired)).toBe(true);
    const payload = new Webhook(firstSecret).verify(fired.body, headersOf(fired)) as { type: string; deliveryId: string };
    expect(payload.type).toBe('incident.fired');
    // The id to deduplicate on is signed: the same value in webhook-id, the body and Idempotency-Key, and changing it fails.
    expect(fired.headers['webhook-id']).toBe(payload.deliveryId);
    expect(fired.headers[WEBHOOK_HEADERS.idempotencyKey]).toBe(payload.deliveryId);
    expect(libraryVerifies(firstSecret, fired, { ...headersOf(fired), 'webhook-id': crypto.randomUUID() })).toBe(false);
    expect(libraryVerifies(firstSecret, fired, headersOf(fired), fired.body.replace('incident.fired', 'incident.resolved'))).toBe(false);
    expect(libraryVerifies(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, fired)).toBe(false);
    expect(fired.headers[WEBHOOK_HEADERS.signature]).toBeUndefined();
    // Sent with its length, not chunked.
    expect(fired.headers['content-length']).toBe(String(Buffer.byteLength(fired.body)));
    expect(fired.headers['transfer-encoding']).toBeUndefined();

    // The X-Alert-Signature channel: signed as before, and its body's deliveryId (signed with the body) is the Idempotency-Key.
    const legacyFired = legacy.received[0] as ReceivedRequest;
    expect(legacyFired.signatureProblem).toBeNull();
    expect((JSON.parse(legacyFired.body) as { deliveryId: string }).deliveryId).toBe(legacyFired.headers[WEBHOOK_HEADERS.idempotencyKey]);
    expect(legacyFired.headers['webhook-signature']).toBeUndefined();
    expect(legacyFired.headers['content-length']).toBe(String(Buffer.byteLength(legacyFired.body)));

    // Rotate both secrets with an overlap; the next delivery (the resolution) carries both signatures.
    const rotated = await c.alerts.service.rotateChannelSecret(testCaller('test'), rule.id, standardChannel?.id ?? '', { overlapSeconds: 3600 });
    const secondSecret = rotated.channels[0]?.generatedSecret ?? '';
    expect(secondSecret).toMatch(/^whsec_/);
    const newLegacySecret = 'legacy-receiver-secret-rotated-0123';
    await c.alerts.service.rotateChannelSecret(testCaller('test'), rule.id, legacyChannel?.id ?? '', { secret: newLegacySecret, overlapSeconds: 3600 });
    for (let i = 0; i < 6; i++) await insertSample(c.database.db, tenantId, server, Date.now() - 500 + i, { kv_cache_usage_pct: 20 });
    await evaluate(c);
    expect(await c.alerts.delivery.runOnce()).toBe(2);

    const resolved = standard.received[1] as ReceivedRequest;
    expect(String(resolved.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(libraryVerifies(secondSecret, resolved)).toBe(true);
    expect(libraryVerifies(firstSecret, resolved)).toBe(true);
    expect((new Webhook(secondSecret).verify(resolved.body, headersOf(resolved)) as { type: string }).type).toBe('incident.resolved');
    expect(resolved.headers['webhook-id']).not.toBe(fired.headers['webhook-id']);
    const legacyResolved = legacy.received[1] as ReceivedRequest;
    expect(String(legacyResolved.headers[WEBHOOK_HEADERS.signature]).split(',')).toHaveLength(2);
    expect(legacyProblem(newLegacySecret, legacyResolved)).toBeNull();
    expect(legacyProblem(LEGACY_SECRET, legacyResolved)).toBeNull();
  });

  it('a standard-webhooks secret must be whsec_ base64 (on create, update and rotation); switching a channel to it generates one', async () => {
    built = await testContainer(topology, { CONSOLE_SECRET: TEST_CONSOLE_SECRET });
    const c = built.c;
    const tenantId = await insertTenant(c.database.db);
    const base = { tenantId, name: 'Down', metric: 'up', operator: '<', threshold: 1 };
    const url = 'http://127.0.0.1:9/hook';

    expect(
      createRuleInputSchema.safeParse({
        ...base,
        channels: [{ type: 'webhook', url, signatureScheme: 'standard-webhooks', secret: 'plain-text-secret-0123456789' }],
      }).error?.issues,
    ).toEqual([expect.objectContaining({ path: ['channels', 0, 'secret'], message: expect.stringContaining('whsec_') })]);
    expect(
      createRuleInputSchema.safeParse({
        ...base,
        channels: [{ type: 'webhook', url, signatureScheme: 'standard-webhooks', secret: `whsec_${Buffer.alloc(8).toString('base64')}` }],
      }).error?.issues[0]?.message,
    ).toContain('24–64 bytes');
    expect(
      createRuleInputSchema.safeParse({ ...base, channels: [{ type: 'slack', url, signatureScheme: 'standard-webhooks' }] }).error?.issues[0]?.path,
    ).toEqual(['channels', 0, 'signatureScheme']);

    // A channel of today's scheme (the default) switched to Standard Webhooks: same id, a new whsec_ secret shown once.
    const rule = await c.alerts.service.createRule(
      testCaller('test'),
      createRuleInputSchema.parse({ ...base, channels: [{ type: 'webhook', url, secret: LEGACY_SECRET }] }),
    );
    expect(rule.channels[0]).toMatchObject({ signatureScheme: 'x-alert-signature' });
    const kept = await c.alerts.service.updateRule(testCaller('test'), rule.id, updateRuleInputSchema.parse({ channels: [{ type: 'webhook', url }] }));
    expect(kept.channels[0]).toEqual({
      id: rule.channels[0]?.id,
      type: 'webhook',
      url,
      hasSecret: true,
      signatureScheme: 'x-alert-signature',
      previousSecretExpiresAt: null,
    });
    const switched = await c.alerts.service.updateRule(
      testCaller('test'),
      rule.id,
      updateRuleInputSchema.parse({ channels: [{ type: 'webhook', url, signatureScheme: 'standard-webhooks' }] }),
    );
    expect(switched.channels[0]).toMatchObject({
      id: rule.channels[0]?.id,
      signatureScheme: 'standard-webhooks',
      generatedSecret: expect.stringMatching(/^whsec_/),
    });

    // Given again without a scheme it stays Standard Webhooks, so a plain secret for it is refused; so is one to rotate to.
    await expect(
      c.alerts.service.updateRule(testCaller('test'), rule.id, updateRuleInputSchema.parse({ channels: [{ type: 'webhook', url, secret: LEGACY_SECRET }] })),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('channels.0.secret: a standard-webhooks secret starts with whsec_') });
    await expect(
      c.alerts.service.rotateChannelSecret(testCaller('test'), rule.id, rule.channels[0]?.id ?? '', { secret: LEGACY_SECRET }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('secret: a standard-webhooks secret starts with whsec_'),
    });
    const given = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    const rotated = await c.alerts.service.rotateChannelSecret(testCaller('test'), rule.id, rule.channels[0]?.id ?? '', { secret: given });
    expect(rotated.channels[0]).toMatchObject({ signatureScheme: 'standard-webhooks', hasSecret: true });
  });
});
