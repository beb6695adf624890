import dns from 'node:dns';
import net from 'node:net';
import { AppError } from '../errors';

export interface OutboundPolicyOptions {
  /** Allow private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10) and loopback. Default true. */
  allowPrivate: boolean;
}

// Never reachable, whatever the configuration: link-local (where cloud metadata lives), metadata addresses of
// the big clouds, "this network", multicast and reserved space.
const ALWAYS_REFUSED: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'the "this network" range'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (cloud metadata lives here)'],
  ['100.100.100.200', 32, 'ipv4', 'a cloud metadata address'],
  ['168.63.129.16', 32, 'ipv4', 'a cloud metadata address'],
  ['192.0.0.0', 24, 'ipv4', 'an IETF protocol assignment'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'the unspecified address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['fd00:ec2::254', 128, 'ipv6', 'a cloud metadata address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];

const PRIVATE: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
];

const VERDICTS_KEPT = 10_000;

/**
 * Where the console may send requests on its own (inference polls, webhooks, browser sessions). Only http and
 * https; link-local and metadata addresses always refused; private ranges and loopback allowed unless
 * configured otherwise. Addresses are checked after DNS resolution, on the address actually connected to
 * ({@link OutboundPolicy.lookup}), so a name that resolves to a forbidden address is refused too.
 */
export class OutboundPolicy {
  private readonly refused = new Map<string, net.BlockList>();
  private readonly privateRanges = new net.BlockList();
  /** Each BlockList check builds address objects; a poll run asks about the same few addresses again and again. */
  private readonly verdicts = new Map<string, string | null>();

  constructor(private readonly options: OutboundPolicyOptions) {
    for (const [address, prefix, type, reason] of ALWAYS_REFUSED) {
      const list = this.refused.get(reason) ?? new net.BlockList();
      list.addSubnet(address, prefix, type);
      this.refused.set(reason, list);
    }
    for (const [address, prefix, type] of PRIVATE) this.privateRanges.addSubnet(address, prefix, type);
  }

  /** Parses a URL for outbound use; throws INVALID_INPUT for anything but http(s), or a refused IP literal. */
  parseUrl(text: string, what = 'URL'): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new AppError('INVALID_INPUT', `${what} is not a valid URL: ${text.slice(0, 200)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AppError('INVALID_INPUT', `${what} must use http or https, not ${url.protocol.replace(':', '')}`);
    }
    if (url.username || url.password) throw new AppError('INVALID_INPUT', `${what} must not contain credentials`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host)) {
      const reason = this.refusal(host);
      if (reason) throw new AppError('INVALID_INPUT', `${what} points to ${host}, which is ${reason}`);
    }
    return url;
  }

  /** Why an IP address is refused, or null when it may be contacted. Answers are kept: they never change. */
  refusal(address: string): string | null {
    const known = this.verdicts.get(address);
    if (known !== undefined) return known;
    // A bound on memory for a console that talks to very many addresses; starting over is cheap.
    if (this.verdicts.size >= VERDICTS_KEPT) this.verdicts.clear();
    const verdict = this.judge(address);
    this.verdicts.set(address, verdict);
    return verdict;
  }

  private judge(address: string): string | null {
    const normalized = unmapIpv4(address);
    const type = net.isIP(normalized) === 6 ? 'ipv6' : 'ipv4';
    if (net.isIP(normalized) === 0) return 'not an IP address';
    for (const [reason, list] of this.refused) if (list.check(normalized, type)) return reason;
    if (!this.options.allowPrivate && this.privateRanges.check(normalized, type)) {
      return 'a private or loopback address (refused by OUTBOUND_ALLOW_PRIVATE=false)';
    }
    return null;
  }

  /** Resolves a host name and throws OUTBOUND_REFUSED-style INVALID_INPUT when any address is refused. */
  async assertHostAllowed(hostname: string): Promise<void> {
    const host = hostname.replace(/^\[|\]$/g, '');
    const addresses = net.isIP(host) ? [{ address: host }] : await dns.promises.lookup(host, { all: true });
    for (const { address } of addresses) {
      const reason = this.refusal(address);
      if (reason) throw new AppError('INVALID_INPUT', `${hostname} resolves to ${address}, which is ${reason}`);
    }
  }

  /**
   * A `lookup` for node:http(s) requests: resolves like dns.lookup, then refuses the connection when the
   * address it would connect to is refused. Pass it as the request's `lookup` option.
   */
  readonly lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as dns.LookupAddress[];
      for (const { address } of list) {
        const reason = this.refusal(address);
        if (reason) return callback(Object.assign(new Error(`Refused outbound connection to ${hostname} (${address}): ${reason}`), { code: 'EOUTBOUNDREFUSED' }), '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * The IPv4 address an IPv6 address stands for, when it embeds one: IPv4-mapped (`::ffff:169.254.169.254`,
 * `::ffff:a9fe:a9fe`) and the NAT64 well-known prefix (`64:ff9b::a9fe:a9fe`), where a translator would carry the
 * connection to that IPv4 address. Anything else is returned unchanged.
 */
export function unmapIpv4(address: string): string {
  const lower = address.toLowerCase();
  const dotted = /^(?:(?:0{0,4}:){0,5}:?ffff:|64:ff9b:(?:0{0,4}:){0,4}:?)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:(?:0{0,4}:){0,5}:?ffff:|64:ff9b:(?:0{0,4}:){0,4}:?)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return address;
}
