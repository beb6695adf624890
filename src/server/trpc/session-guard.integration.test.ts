import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../auth/operator.service';
import { type TestContainer, testContainer } from '../testing/container';
import { trpcHandler } from './handler';
import { testCaller } from '../testing/callers';

/** Reads an SSE response until `until` matches what arrived, or the stream ends; returns everything read. */
async function readUntil(body: ReadableStream<Uint8Array>, until: (text: string) => boolean): Promise<{ text: string; ended: boolean }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { text, ended: true };
      text += decoder.decode(value, { stream: true });
      if (until(text)) return { text, ended: false };
    }
  } finally {
    reader.releaseLock();
  }
}

describe('live streams end with their session', () => {
  let t: TestContainer;
  afterEach(async () => {
    await t.close();
  });

  it('an open automations stream closes when an admin ends the session, and a new one is refused', async () => {
    t = await testContainer('sqlite-local');
    const viewer = await t.c.operators.create(testCaller('test'), { email: 'board@example.com', password: 'board-password', role: 'viewer' });
    const { sessionToken } = await t.c.operators.login('board@example.com', 'board-password', 'wall-display');
    const handler = trpcHandler(async () => t.c);
    const open = () =>
      handler(
        new Request('http://console.test/api/trpc/automations.onChange', {
          headers: { accept: 'text/event-stream', cookie: `${SESSION_COOKIE}=${sessionToken}` },
        }),
      );

    const stream = await open();
    expect(stream.status).toBe(200);
    const body = stream.body;
    if (!body) throw new Error('no stream body');
    const first = await readUntil(body, (text) => text.includes('alert-evaluation'));
    expect(first.ended).toBe(false);

    await t.c.sessions.end(testCaller('operator:admin@example.com'), viewer.id, undefined);
    const rest = await readUntil(body, () => false);
    expect(rest.ended).toBe(true);

    const again = await open();
    // 401, not a 200 stream with an error event: EventSource stops instead of reconnecting every 3 s.
    expect(again.status).toBe(401);
    const refused = again.body ? await readUntil(again.body, (text) => text.includes('UNAUTHORIZED')) : { text: '', ended: true };
    expect(refused.text).toContain('UNAUTHORIZED');
  });
});
