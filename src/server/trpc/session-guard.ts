import 'server-only';
import { SESSION_COOKIE } from '../auth/operator.service';
import type { Container } from '../container';
import { readCookie } from './context';

/**
 * A live stream (SSE) is authenticated once, when it opens. So that ending a session, disabling or re-roling an
 * operator also ends the streams already open — on every instance, as these events arrive through the change bus —
 * an SSE request is given a signal that aborts when such an event comes and its session no longer resolves to the
 * same operator and role. tRPC hands the request's signal to the subscription, which then ends.
 */
export function bindStreamToSession(container: Container, req: Request): Request {
  const sessionToken = readCookie(req.headers.get('cookie'), SESSION_COOKIE);
  if (req.method !== 'GET' || !sessionToken || !(req.headers.get('accept') ?? '').includes('text/event-stream')) return req;
  const ended = new AbortController();
  const opened = container.operators.fromSession(sessionToken).then((o) => (o ? { id: o.id, key: `${o.id}:${o.role}` } : null));
  const unsubscribe = container.bus.subscribe((event) => {
    if (event.type !== 'sessions' && event.type !== 'operators') return;
    void (async () => {
      const owner = await opened;
      // A session event names its operator: the other streams need no lookup (an instance may hold thousands).
      if (event.type === 'sessions' && owner !== null && event.operatorId !== owner.id) return;
      const before = owner?.key ?? null;
      const now = await container.operators.fromSession(sessionToken).then(
        (o) => (o ? `${o.id}:${o.role}` : null),
        () => before,
      );
      if (now !== before) ended.abort();
    })();
  });
  const release = () => unsubscribe();
  // A client gone before the stream opened (while its session was looked up) would never fire 'abort'.
  if (req.signal.aborted) {
    release();
    return req;
  }
  req.signal.addEventListener('abort', release, { once: true });
  ended.signal.addEventListener('abort', release, { once: true });
  return new Request(req.url, { method: req.method, headers: req.headers, signal: AbortSignal.any([req.signal, ended.signal]) });
}
