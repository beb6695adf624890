import 'server-only';
import http from 'node:http';
import https from 'node:https';
import { OUTBOUND_FAILURES, type OutboundFailure, classifyNetworkError, httpStatusText } from './outbound-errors';
import { type OutboundScope, portOf } from './outbound-policy';

export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Total time for connect, request, response headers and the whole body. */
  deadlineMs: number;
  /** Bodies larger than this are cut and the request fails. */
  maxBytes: number;
  /** Cancels the request early (e.g. the run it belongs to was aborted). */
  signal?: AbortSignal;
}

export type OutboundResult =
  | { ok: true; status: number; headers: http.IncomingHttpHeaders; body: Buffer; latencyMs: number }
  | { ok: false; error: string; code: OutboundErrorCode; latencyMs: number };

/**
 * What kind of failure, for the caller's decisions (retry, permanent). `error` is the classification text from
 * net/outbound-errors.ts — never the upstream's words.
 */
export type OutboundErrorCode = 'refused' | 'deadline' | 'too-large' | 'redirect' | 'network' | 'aborted';

function failed(code: OutboundErrorCode, failure: OutboundFailure, latencyMs: number, suffix = ''): OutboundResult {
  return { ok: false, code, error: `${OUTBOUND_FAILURES[failure]}${suffix}`, latencyMs };
}

/** An idle kept-alive connection is closed after this long, before servers' usual 5 s keep-alive timeout. */
const IDLE_CONNECTION_MS = 4_000;

/**
 * Keep-alive agents per scope (use and reach): a connection is reused for later requests to the same host and
 * port within the scope whose `lookup` checked it when it was opened — never by another scope, so a connection a
 * platform poll opened to a listed address cannot carry a tenant's request. Idle connections do not keep the
 * process alive.
 */
const agents = new WeakMap<OutboundScope, { http: http.Agent; https: https.Agent }>();

function agentFor(policy: OutboundScope, protocol: string): http.Agent {
  let pair = agents.get(policy);
  if (!pair) {
    const options = { keepAlive: true, timeout: IDLE_CONNECTION_MS, scheduling: 'lifo' as const };
    pair = { http: new http.Agent(options), https: new https.Agent(options) };
    agents.set(policy, pair);
  }
  return protocol === 'https:' ? pair.https : pair.http;
}

/**
 * One outbound HTTP request under an {@link OutboundScope}: only http/https, the address actually connected to
 * is checked, redirects are never followed (a 3xx is a failure with its status), the deadline covers the whole
 * exchange including the body, and the body is capped. Never throws: failures are values with a classification.
 *
 * Connections are kept alive and reused. A reused connection that the server closed just as the request went out
 * fails before any answer; a GET is then sent once more on a new connection, within what is left of the deadline.
 */
export async function outboundRequest(policy: OutboundScope, urlText: string, request: OutboundRequest): Promise<OutboundResult> {
  const started = performance.now();
  let url: URL;
  try {
    url = policy.parseUrl(urlText);
  } catch {
    return failed('refused', 'refused', 0);
  }
  if (request.signal?.aborted) return failed('aborted', 'aborted', 0);
  const first = await exchange(policy, url, request, agentFor(policy, url.protocol), started);
  const left = Math.round(request.deadlineMs - (performance.now() - started));
  if (first.staleConnection && (request.method ?? 'GET') === 'GET' && left > 0 && !request.signal?.aborted) {
    return (await exchange(policy, url, { ...request, deadlineMs: left }, false, started)).result;
  }
  return first.result;
}

/** One attempt; `staleConnection` when it failed on a reused connection before any answer came. */
function exchange(
  policy: OutboundScope,
  url: URL,
  request: OutboundRequest,
  agent: http.Agent | false,
  started: number,
): Promise<{ result: OutboundResult; staleConnection: boolean }> {
  const elapsed = () => Math.round(performance.now() - started);
  const client = url.protocol === 'https:' ? https : http;
  let answered = false;
  return new Promise((resolve) => {
    let settled = false;
    let req: http.ClientRequest | null = null;
    const onAbort = () => {
      req?.destroy();
      finish(failed('aborted', 'aborted', elapsed()));
    };
    // Created before the request, so a request that fails synchronously can still settle through `finish`.
    const timer = setTimeout(() => {
      req?.destroy();
      finish(failed('deadline', 'deadline', elapsed(), ` (${request.deadlineMs} ms)`));
    }, request.deadlineMs);
    function finish(result: OutboundResult) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      const staleConnection = !result.ok && result.code === 'network' && !answered && req?.reusedSocket === true;
      resolve({ result, staleConnection });
    }
    request.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      req = client.request(
        url,
        {
          method: request.method ?? 'GET',
          // A body goes with its length, not chunked: some receivers (and proxies in front of them) refuse chunked requests.
          headers: {
            'user-agent': 'automations-console',
            ...(request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) }),
            ...request.headers,
          },
          lookup: policy.lookupFor(portOf(url)),
          agent,
        },
        (res) => {
          answered = true;
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            res.destroy();
            finish(failed('redirect', 'redirect', elapsed(), ` (${httpStatusText(status)})`));
            return;
          }
          // A declared length over the cap fails at once instead of after reading up to the cap.
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared > request.maxBytes) {
            res.destroy();
            finish(failed('too-large', 'too-large', elapsed(), ` (over ${request.maxBytes} bytes)`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > request.maxBytes) {
              res.destroy();
              finish(failed('too-large', 'too-large', elapsed(), ` (over ${request.maxBytes} bytes)`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => finish({ ok: true, status, headers: res.headers, body: Buffer.concat(chunks), latencyMs: elapsed() }));
          res.on('error', (error) => finish(failed('network', classifyNetworkError(error), elapsed())));
          // Node reports a peer that closes mid-body as an 'error'; should a close ever come without one (or 'end'),
          // this settles at once instead of waiting for the deadline.
          res.on('close', () => {
            if (!res.complete) finish(failed('network', 'connection-reset', elapsed()));
          });
        },
      );
    } catch (error) {
      // e.g. a header value with characters HTTP does not allow
      finish(failed('network', classifyNetworkError(error), elapsed()));
      return;
    }
    req.on('error', (error: NodeJS.ErrnoException) => {
      const failure = classifyNetworkError(error);
      finish(failed(failure === 'refused' ? 'refused' : 'network', failure, elapsed()));
    });
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}
