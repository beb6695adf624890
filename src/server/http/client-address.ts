import 'server-only';
import { isIP } from 'node:net';

/**
 * The header scripts/server.mjs sets on every request from the socket's peer address, after deleting whatever the
 * client sent under that name. It is the only address the console believes without configuration: X-Forwarded-For
 * is written by whoever opens the connection, so it says nothing unless a proxy we trust wrote it.
 */
export const PEER_HEADER = 'x-console-peer';

/** Stands for the peer when a request did not come through scripts/server.mjs (unit tests, `next dev`). */
const UNKNOWN_PEER = 'unknown-peer';

function normalize(address: string): string {
  let a = address.trim();
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined);
  if (a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  // A port after an IPv4 address ("1.2.3.4:567") is not part of who the client is.
  const colon = a.lastIndexOf(':');
  if (colon > 0 && a.indexOf(':') === colon && isIP(a.slice(0, colon)) === 4) a = a.slice(0, colon);
  return a.slice(0, 100);
}

/**
 * Picks the entry `hops` places from the right of a comma-separated proxy header with the peer's own value
 * appended: each trusted proxy appends what it saw, so entries further left were written by the client and are
 * never reached. A header shorter than the configured chain yields its leftmost entry (a misconfigured chain, or
 * a client that reached the console past its proxies: documented in docs/security.md).
 */
function fromTrustedHops(header: string | null, own: string, hops: number): string {
  if (hops === 0) return own;
  const entries = (header ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  entries.push(own);
  return entries[Math.max(0, entries.length - 1 - hops)] ?? own;
}

/**
 * Who is calling, for rate limits and audit: the socket's peer, or with `trustedHops` = N the address the Nth
 * trusted proxy (counted from the console outwards) saw in X-Forwarded-For. The one rule every limit keys on.
 */
export function clientAddress(headers: Headers, trustedHops: number): string {
  const peer = headers.get(PEER_HEADER);
  const own = peer ? normalize(peer) : UNKNOWN_PEER;
  return normalize(fromTrustedHops(headers.get('x-forwarded-for'), own, trustedHops)) || own;
}

/**
 * Whether the client's connection was https, by the same rule: the console itself serves plain http, so only
 * X-Forwarded-Proto written by a trusted hop can say https. `always`/`never` override (COOKIE_SECURE).
 */
export function clientUsesHttps(headers: Headers, trustedHops: number, mode: 'auto' | 'always' | 'never'): boolean {
  if (mode !== 'auto') return mode === 'always';
  return fromTrustedHops(headers.get('x-forwarded-proto'), 'http', trustedHops).toLowerCase() === 'https';
}

/**
 * The key a client is counted under: its address, except that an IPv6 client is counted by its /64, which one
 * subscriber usually holds whole (rotating within it must not give fresh limits).
 */
export function clientLimitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
