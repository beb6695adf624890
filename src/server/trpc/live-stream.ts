import 'server-only';
import type { ChangeBus, Envelope } from '../coordination/change-bus';
import type { StreamSlots } from '../auth/stream-slots';

/** How often a live stream re-sends with nothing changed (countdowns, overdue detection). */
const REFRESH_MS = 15_000;
/** Changes arriving within this window are sent as one update. */
const DEBOUNCE_MS = 50;

/**
 * The body of a live tRPC subscription: `read()` at once, then again whenever an event that `matters` arrives
 * on the change bus from any instance (debounced), and every 15 s. Each message is the whole current state, so a
 * client that missed messages is whole again with the next one. One abort listener for the whole stream (one
 * per wait would pile up on long-lived connections). `release` gives back the stream's slot (see
 * {@link openLiveStream}) when the stream ends, however it ends.
 */
export async function* liveStream<T>(
  bus: ChangeBus,
  matters: (event: Envelope) => boolean,
  read: () => Promise<T>,
  signal: AbortSignal | undefined,
  release: () => void = () => undefined,
): AsyncGenerator<T> {
  let wake: (() => void) | null = null;
  let dirty = false;
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  const unsubscribe = bus.subscribe((event) => {
    if (!matters(event)) return;
    dirty = true;
    wake?.();
  });
  try {
    yield await read();
    while (!signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, REFRESH_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        if (dirty || signal?.aborted) wake();
      });
      wake = null;
      if (signal?.aborted) break;
      await new Promise((r) => setTimeout(r, DEBOUNCE_MS));
      dirty = false;
      yield await read();
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unsubscribe();
    release();
  }
}

/**
 * A live stream that first takes a slot of the instance's caps (LIVE_STREAMS_PER_OPERATOR, LIVE_STREAMS_MAX):
 * over a cap the subscription fails at once with TOO_MANY_REQUESTS and a message naming the cap, instead of a
 * stream. The slot is given back when the stream ends or the client goes away.
 */
export function openLiveStream<T>(
  container: { bus: ChangeBus; liveStreams: StreamSlots },
  operatorId: string,
  matters: (event: Envelope) => boolean,
  read: () => Promise<T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  const release = container.liveStreams.acquire(`operator:${operatorId}`, signal);
  return liveStream(container.bus, matters, read, signal, release);
}
