import 'server-only';
import net from 'node:net';

/**
 * One entry of an OUTBOUND_*ALLOW_* list. `cidr`: a range, any port. `ip`: one address, any port or one port.
 * `host`: a host name (any port or one port) that may resolve to a non-public address — the name is what is
 * trusted, so it is matched on the name the request asked for, not on what it resolved to.
 */
export type AllowEntry =
  | { kind: 'cidr'; address: string; prefix: number; family: 'ipv4' | 'ipv6'; text: string }
  | { kind: 'ip'; address: string; family: 'ipv4' | 'ipv6'; port: number | null; text: string }
  | { kind: 'host'; host: string; port: number | null; text: string };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

type Parsed = { ok: true; entries: AllowEntry[] } | { ok: false; error: string };

/**
 * Parses a comma-separated list: `10.0.0.0/8`, `fd00::/8`, `10.1.2.3`, `127.0.0.1:3000`, `[::1]:3000`,
 * `inference.internal`, `inference.internal:8000`. Blanks around entries are ignored; an empty list is valid.
 */
export function parseAllowList(text: string): Parsed {
  const entries: AllowEntry[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const entry = parseEntry(item);
    if (typeof entry === 'string') return { ok: false, error: `"${item}" ${entry}` };
    entries.push(entry);
  }
  return { ok: true, entries };
}

export function parseEntry(item: string): AllowEntry | string {
  const familyOf = (address: string) => (net.isIP(address) === 6 ? 'ipv6' : 'ipv4') as 'ipv4' | 'ipv6';
  if (item.includes('/')) {
    const [address = '', prefixText = '', ...rest] = item.split('/');
    if (rest.length > 0 || net.isIP(address) === 0 || !/^\d{1,3}$/.test(prefixText)) return 'is not a CIDR range (e.g. 10.0.0.0/8)';
    const family = familyOf(address);
    const prefix = Number(prefixText);
    if (prefix > (family === 'ipv4' ? 32 : 128)) return `has a prefix longer than an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`;
    return { kind: 'cidr', address, prefix, family, text: item };
  }
  if (net.isIP(item) !== 0) return { kind: 'ip', address: item, family: familyOf(item), port: null, text: item };
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(item);
  if (bracketed?.[1]) {
    if (net.isIP(bracketed[1]) !== 6) return 'is not an IPv6 address in brackets (e.g. [::1]:3000)';
    const port = parsePort(bracketed[2]);
    if (port === undefined) return 'has a port outside 1–65535';
    return { kind: 'ip', address: bracketed[1], family: 'ipv6', port, text: item };
  }
  const [name = '', portText, ...rest] = item.split(':');
  if (rest.length > 0) return 'is neither an address, a CIDR range nor a host name (IPv6 with a port goes in brackets: [::1]:3000)';
  const port = parsePort(portText);
  if (port === undefined) return 'has a port outside 1–65535';
  if (net.isIP(name) === 4) return { kind: 'ip', address: name, family: 'ipv4', port, text: item };
  const host = name.toLowerCase().replace(/\.$/, '');
  if (!HOST_NAME.test(host)) return 'is neither an address, a CIDR range nor a host name';
  return { kind: 'host', host, port, text: item };
}

/** null: no port given; undefined: not a valid port. */
function parsePort(text: string | undefined): number | null | undefined {
  if (text === undefined) return null;
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : undefined;
}
