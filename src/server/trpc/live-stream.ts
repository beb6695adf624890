import 'server-only';
import { tracked } from '@trpc/server';
import type { StreamSlots } from '../auth/stream-slots';
import type { LiveMessage } from '@/shared/live-message';
import type { LiveEntry, LiveTopic } from './live-topic';

/**
 * A live subscription through tRPC's own SSE producer (handler.ts serves the SSE requests of these procedures
 * itself, see live-sse.ts; this path answers server-side callers and anything else tRPC routes here). It follows
 * the same shared topic as every stream: what was missed after `lastEventId` (or a snapshot), then each event,
 * as tRPC tracked events — the SSE `id:` is the topic's event id. The slot of the stream caps is taken first and
 * given back, with the topic, however the stream ends.
 */
/** Events a stream of this path may have waiting before it is ended (the topic keeps as many for resuming). */
const MAX_QUEUED_EVENTS = 256;

export async function* followTopic<T>(
  container: { liveStreams: StreamSlots },
  operatorId: string,
  feed: { topic: LiveTopic<T>; release: () => void },
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
) {
  let releaseSlot: () => void;
  try {
    releaseSlot = container.liveStreams.acquire(`operator:${operatorId}`, signal);
  } catch (error) {
    feed.release();
    throw error;
  }
  const queue: Array<LiveEntry<T>> = [];
  let wake: (() => void) | null = null;
  // A reader that stopped reading is cut once it is this far behind; it resumes with its Last-Event-ID.
  let behind = false;
  const sink = {
    deliver: (entry: LiveEntry<T>) => {
      if (queue.length >= MAX_QUEUED_EVENTS) behind = true;
      else queue.push(entry);
      wake?.();
    },
  };
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await feed.topic.join(sink, lastEventId ?? null);
    while (!signal?.aborted && !behind) {
      const entry = queue.shift();
      if (entry) {
        yield tracked(entry.id, entry.message as LiveMessage<T>);
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    feed.topic.leave(sink);
    feed.release();
    releaseSlot();
  }
}
