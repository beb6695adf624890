import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Container } from '../testing/container';
import { isAppError } from '../errors';
import { type TestContainer, testContainer } from '../testing/container';
import { ALL_TENANTS } from '../tenants/tenant-access';
import { bindLegacyApiKeys } from './api-key-rebinding';
import { FIXTURE_API_KEY, type Fixture, startFixture } from './testing/fixture-servers';
import { readerOf, testCaller, testToken } from '../testing/callers';

const SECRET = 'origin-test-secret-0123456789-0123456789';

/** "A stored secret never follows a changed address" (issue 13 item 2), with real servers that record headers. */
describe('an inference server API key is bound to the origin of its base URL', () => {
  let t: TestContainer;
  let c: Container;
  const fixtures: Fixture[] = [];

  beforeEach(async () => {
    t = await testContainer('sqlite-local', { CONSOLE_SECRET: SECRET });
    c = t.c;
  });
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.close();
    await t.close();
  });

  async function openai(): Promise<Fixture> {
    const f = await startFixture('openai');
    fixtures.push(f);
    return f;
  }

  async function poll(): Promise<void> {
    await c.automations.run(testToken(), 'inference-monitoring-poll');
  }

  async function setUp(): Promise<{ id: string; first: Fixture; second: Fixture }> {
    const [first, second] = [await openai(), await openai()];
    const tenantId = (await c.tenants.service.create(testToken(), { name: 'keys', slug: 'keys' })).id;
    const server = await c.inference.servers.create(testCaller('test'), {
      tenantId,
      name: 'gw',
      kind: 'openai',
      baseUrl: `${first.url}/v1`,
      pollIntervalSeconds: 30,
      enabled: true,
      apiKey: FIXTURE_API_KEY,
    });
    await poll();
    expect(first.requests).toEqual([`GET /v1/models Bearer ${FIXTURE_API_KEY}`]);
    expect(await c.inference.servers.get(readerOf(ALL_TENANTS), server.id)).toMatchObject({ status: 'up', hasApiKey: true });
    return { id: server.id, first, second };
  }

  it('a new origin without apiKey answers 400 and changes nothing; a new path on the same origin keeps the key', async () => {
    const { id, first, second } = await setUp();
    let refused: unknown;
    try {
      await c.inference.servers.update(testCaller('test'), id, { baseUrl: `${second.url}/v1` });
    } catch (error) {
      refused = error;
    }
    expect(isAppError(refused) && refused.code).toBe('INVALID_INPUT');
    expect((refused as Error).message).toMatch(/another origin \(scheme, host or port\).*give apiKey again/);
    expect((await c.inference.servers.get(readerOf(ALL_TENANTS), id)).baseUrl).toBe(`${first.url}/v1`);

    await c.inference.servers.update(testCaller('test'), id, { baseUrl: first.url });
    await poll();
    expect(first.requests.at(-1)).toBe(`GET /v1/models Bearer ${FIXTURE_API_KEY}`);
    expect(second.requests).toEqual([]);
  });

  it('changing the origin with apiKey: null polls the new host without any Authorization; with a new key, with that key only', async () => {
    const { id, second } = await setUp();
    await c.inference.servers.update(testCaller('test'), id, { baseUrl: `${second.url}/v1`, apiKey: null });
    await poll();
    expect(second.requests).toEqual(['GET /v1/models -']);
    expect(await c.inference.servers.get(readerOf(ALL_TENANTS), id)).toMatchObject({
      hasApiKey: false,
      status: 'down',
      lastError: expect.stringContaining('HTTP 401'),
    });

    const third = await openai();
    await c.inference.servers.update(testCaller('test'), id, { baseUrl: third.url, apiKey: 'sk-for-the-third-host' });
    await poll();
    expect(third.requests).toEqual(['GET /v1/models Bearer sk-for-the-third-host']);
  });

  it('a key left on a row whose address changed behind the API is never sent', async () => {
    const { id, second } = await setUp();
    // e.g. a hand-edited database, or a restored backup of another row: the ciphertext is bound to the old origin.
    await c.database.db
      .updateTable('inference_servers')
      .set({ base_url: `${second.url}/v1`, last_polled_at: null, updated_at: Date.now() + 1 })
      .where('id', '=', id)
      .execute();
    await poll();
    expect(second.requests).toEqual([]);
    expect((await c.inference.servers.get(readerOf(ALL_TENANTS), id)).lastError).toMatch(/integrity check for this server and address/);
  });

  it('keys stored before origin binding are bound at start to the origin they have, and keep working there', async () => {
    const { id, first } = await setUp();
    // Rewrite the key as the previous release stored it (v1: the server id alone as associated data).
    const key = Buffer.from(hkdfSync('sha256', SECRET, 'automations-console', 'inference-server-api-key:v1', 32));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id));
    const body = Buffer.concat([cipher.update(FIXTURE_API_KEY, 'utf8'), cipher.final()]);
    const row = await c.database.db.selectFrom('inference_servers').select('api_key_enc').where('id', '=', id).executeTakeFirstOrThrow();
    const keyId = (row.api_key_enc ?? '').split('.')[1];
    const legacy = `v1.${keyId}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    await c.database.db.updateTable('inference_servers').set({ api_key_enc: legacy, last_polled_at: null }).where('id', '=', id).execute();

    // Not yet bound: the poller does not send it (nor poll without it: the server is down, saying why).
    const before = first.requests.length;
    await poll();
    expect(first.requests.length).toBe(before);
    expect((await c.inference.servers.get(readerOf(ALL_TENANTS), id)).lastError).toMatch(/not yet bound/);

    expect(await bindLegacyApiKeys(c.inference.repository, c.inference.cipher, c.logger)).toBe(1);
    expect(await bindLegacyApiKeys(c.inference.repository, c.inference.cipher, c.logger)).toBe(0);
    const after = await c.database.db.selectFrom('inference_servers').select(['api_key_enc', 'last_polled_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(after.api_key_enc).toMatch(/^v2\./);
    await c.database.db.updateTable('inference_servers').set({ last_polled_at: null }).where('id', '=', id).execute();
    await poll();
    expect(first.requests.at(-1)).toBe(`GET /v1/models Bearer ${FIXTURE_API_KEY}`);
  });
});
