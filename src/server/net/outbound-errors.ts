import 'server-only';
/**
 * What the console says about a failed outbound request — in an inference server's lastError, a delivery's
 * lastError, a log line or an API answer. One place, so that nothing the upstream sent (its body, its headers, a
 * redirect's Location) and nothing about where a name resolved can travel back to whoever set the URL: an HTTP
 * status code or one of these classifications, never more.
 */
export const OUTBOUND_FAILURES = {
  refused: 'refused by outbound policy',
  deadline: 'timed out',
  'too-large': 'response too large',
  redirect: 'redirect not followed',
  'connection-refused': 'connection refused',
  'host-not-found': 'host not found',
  'connection-reset': 'connection reset',
  unreachable: 'unreachable',
  tls: 'TLS error',
  'invalid-response': 'invalid HTTP response',
  'invalid-request': 'invalid request',
  network: 'network error',
  aborted: 'cancelled',
} as const;

export type OutboundFailure = keyof typeof OUTBOUND_FAILURES;

/** The classification of a socket, DNS or TLS error, from its code (its message is never used). */
export function classifyNetworkError(error: unknown): OutboundFailure {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (code === 'EOUTBOUNDREFUSED') return 'refused';
  if (code === 'ECONNREFUSED') return 'connection-refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || code === 'EAI_NONAME') return 'host-not-found';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'connection-reset';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN') return 'unreachable';
  if (code.startsWith('HPE_')) return 'invalid-response';
  if (code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN' || code === 'ERR_HTTP_INVALID_HEADER_VALUE') return 'invalid-request';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code === 'EPROTO' || code.includes('SIGNATURE')) return 'tls';
  return 'network';
}

/** `HTTP 503`: all that is said about an answer that was not the expected one. */
export function httpStatusText(status: number): string {
  return `HTTP ${status}`;
}
