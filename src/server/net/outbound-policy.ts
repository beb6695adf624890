import 'server-only';
import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';
import { AppError } from '../errors';
import { type AllowEntry, parseEntry } from './allow-list';
import { type AllowLists, OUTBOUND_REACHES, OUTBOUND_USES, type OutboundReach, type OutboundUse, allowListVariable } from './outbound.config';

export interface OutboundPolicyOptions {
  /** Per use and reach; empty lists mean public addresses only. */
  allow: AllowLists;
  /** This host's own interface addresses (refused unless listed exactly); defaults to os.networkInterfaces(). */
  hostAddresses?: string[];
}

type Range = [string, number, 'ipv4' | 'ipv6', string];

// Never reachable, whatever the configuration, allow-lists included: link-local (where cloud metadata lives),
// metadata addresses of the big clouds, "this network", multicast and reserved space.
const ALWAYS_REFUSED: Range[] = [
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

// Not public: refused unless an allow-list of the use (and reach) names them.
const NON_PUBLIC: Range[] = [
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (CGNAT) address'],
  ['fc00::', 7, 'ipv6', 'a private (unique local) address'],
  ['fec0::', 10, 'ipv6', 'a site-local address'],
  ['192.0.2.0', 24, 'ipv4', 'a documentation address'],
  ['198.51.100.0', 24, 'ipv4', 'a documentation address'],
  ['203.0.113.0', 24, 'ipv4', 'a documentation address'],
  ['2001:db8::', 32, 'ipv6', 'a documentation address'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address'],
  ['2001:2::', 48, 'ipv6', 'a benchmarking address'],
];

const VERDICTS_KEPT = 10_000;

/** Why an address is refused: `fixable` when an allow-list entry could open it (never for ALWAYS_REFUSED). */
export interface Refusal {
  reason: string;
  fixable: boolean;
}

const USE_LABEL: Record<OutboundUse, string> = { poll: 'polls', webhook: 'webhooks', browser: 'browser sessions' };

/** Thrown through `lookup` when the address a connection would go to is refused. */
export const OUTBOUND_REFUSED_CODE = 'EOUTBOUNDREFUSED';

function rangeLists(ranges: Range[]): Map<string, net.BlockList> {
  const lists = new Map<string, net.BlockList>();
  for (const [address, prefix, type, reason] of ranges) {
    const list = lists.get(reason) ?? new net.BlockList();
    list.addSubnet(address, prefix, type);
    lists.set(reason, list);
  }
  return lists;
}

function ownAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.replace(/%.*$/, '')));
}

/**
 * Where the console may send requests on its own, per use (inference polls, webhooks, browser sessions) and per
 * reach (who set the URL: the platform or a tenant). Only http and https. Link-local, metadata, multicast and
 * reserved addresses are always refused; loopback, private, CGNAT, ULA, site-local, documentation and
 * benchmarking ranges and this host's own addresses are refused unless the use's allow-list for that reach names
 * them. Addresses are checked after DNS resolution, on the address actually connected to ({@link OutboundScope.lookupFor}),
 * so a name that resolves to a refused address is refused too, at every connection.
 */
export class OutboundPolicy {
  readonly always = rangeLists(ALWAYS_REFUSED);
  readonly nonPublic = rangeLists(NON_PUBLIC);
  readonly ownAddresses: net.BlockList;
  private readonly scopes = new Map<string, OutboundScope>();

  constructor(options: OutboundPolicyOptions) {
    this.ownAddresses = new net.BlockList();
    for (const address of options.hostAddresses ?? ownAddresses()) {
      const normalized = unmapIpv4(address);
      const type = net.isIP(normalized);
      if (type !== 0) this.ownAddresses.addAddress(normalized, type === 6 ? 'ipv6' : 'ipv4');
    }
    for (const use of OUTBOUND_USES) {
      for (const reach of OUTBOUND_REACHES) this.scopes.set(`${use}:${reach}`, new OutboundScope(this, use, reach, options.allow[use][reach]));
    }
  }

  /** The rules for one use and reach. The same object every time (keep-alive agents are kept per scope). */
  scope(use: OutboundUse, reach: OutboundReach): OutboundScope {
    const scope = this.scopes.get(`${use}:${reach}`);
    if (!scope) throw new Error(`No outbound scope ${use}:${reach}`);
    return scope;
  }

  /**
   * Adds an entry at run time (the demo fleet's own listener, once it knows its port). Entries of ranges that are
   * always refused stay refused.
   */
  allow(use: OutboundUse, reach: OutboundReach, entry: string): void {
    const parsed = parseEntry(entry);
    if (typeof parsed === 'string') throw new Error(`Invalid outbound allow entry "${entry}": ${parsed}`);
    this.scope(use, reach).add(parsed);
  }
}

/**
 * The outbound rules for one use and reach: parse a URL, judge an address, resolve and check a host, and the
 * `lookup` that requests connect through.
 */
export class OutboundScope {
  private readonly cidrs = new net.BlockList();
  private readonly ips: Array<{ list: net.BlockList; port: number | null }> = [];
  private readonly hosts: Array<{ host: string; port: number | null }> = [];
  /** Each BlockList check builds address objects; a poll run asks about the same few addresses again and again. */
  private readonly verdicts = new Map<string, Refusal | null>();

  constructor(
    private readonly policy: OutboundPolicy,
    readonly use: OutboundUse,
    readonly reach: OutboundReach,
    entries: AllowEntry[],
  ) {
    for (const entry of entries) this.add(entry);
  }

  /** The variables that would allow a refused address, as a sentence for error messages. */
  get hint(): string {
    return `to allow it for ${USE_LABEL[this.use]} set ${allowListVariable(this.use, 'platform')} (for tenants: ${allowListVariable(this.use, 'tenant')})`;
  }

  add(entry: AllowEntry): void {
    this.verdicts.clear();
    if (entry.kind === 'cidr') this.cidrs.addSubnet(entry.address, entry.prefix, entry.family);
    else if (entry.kind === 'host') this.hosts.push({ host: entry.host, port: entry.port });
    else {
      const list = new net.BlockList();
      list.addAddress(unmapIpv4(entry.address), net.isIP(unmapIpv4(entry.address)) === 6 ? 'ipv6' : 'ipv4');
      this.ips.push({ list, port: entry.port });
    }
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
    const host = unbracket(url.hostname);
    if (net.isIP(host)) {
      const refusal = this.refusal(host, portOf(url));
      if (refusal) throw new AppError('INVALID_INPUT', `${what} points to ${host}, which is ${this.explain(refusal)}`);
    }
    return url;
  }

  /**
   * Why a connection to `address`:`port` is refused, or null when it may be made. `hostname` is the name the
   * request asked for (a host-name entry allows whatever that name resolves to, the always-refused ranges aside).
   */
  refusal(address: string, port: number, hostname?: string): Refusal | null {
    const key = `${address} ${port}`;
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      // A bound on memory for a console that talks to very many addresses; starting over is cheap.
      if (this.verdicts.size >= VERDICTS_KEPT) this.verdicts.clear();
      verdict = this.judge(address, port);
      this.verdicts.set(key, verdict);
    }
    if (verdict?.fixable && hostname !== undefined && this.hostListed(hostname, port)) return null;
    return verdict;
  }

  /** Resolves a host name and throws INVALID_INPUT when an address it resolves to is refused. */
  async assertHostAllowed(hostname: string, port: number, what = 'URL'): Promise<void> {
    const host = unbracket(hostname);
    const addresses = net.isIP(host) ? [{ address: host }] : await dns.promises.lookup(host, { all: true });
    for (const { address } of addresses) {
      const refusal = this.refusal(address, port, host);
      if (!refusal) continue;
      // A tenant learns that its name resolves somewhere it may not go, not where: internal DNS stays internal.
      const message =
        this.reach === 'tenant' && !net.isIP(host)
          ? `${what}: ${hostname} resolves to ${this.explain(refusal)}`
          : `${what}: ${hostname} resolves to ${address}, which is ${this.explain(refusal)}`;
      throw new AppError('INVALID_INPUT', message);
    }
  }

  /**
   * A `lookup` for node:http(s) and node:net connections to `port`: resolves like dns.lookup, then refuses the
   * connection (error code {@link OUTBOUND_REFUSED_CODE}) when an address it would connect to is refused.
   */
  lookupFor(port: number): net.LookupFunction {
    return (hostname, options, callback) => {
      dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, '', 4);
        const list = addresses as dns.LookupAddress[];
        for (const { address } of list) {
          const refusal = this.refusal(address, port, hostname);
          if (refusal) {
            const message = `Refused outbound connection to ${hostname} (${address}): ${refusal.reason}`;
            return callback(Object.assign(new Error(message), { code: OUTBOUND_REFUSED_CODE }), '', 4);
          }
        }
        if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
        const first = list[0];
        if (!first) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
        callback(null, first.address, first.family);
      });
    };
  }

  private explain(refusal: Refusal): string {
    return refusal.fixable ? `${refusal.reason}; ${this.hint}` : `${refusal.reason} (never allowed)`;
  }

  private hostListed(hostname: string, port: number): boolean {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    return this.hosts.some((h) => h.host === name && (h.port === null || h.port === port));
  }

  private judge(address: string, port: number): Refusal | null {
    const normalized = unmapIpv4(address);
    const family = net.isIP(normalized);
    if (family === 0) return { reason: 'not an IP address', fixable: false };
    const type = family === 6 ? 'ipv6' : 'ipv4';
    for (const [reason, list] of this.policy.always) if (list.check(normalized, type)) return { reason, fixable: false };
    // An entry naming the address itself opens it, this host's own addresses included; a range opens other
    // hosts of that range, never this one (a fleet's /8 must not also open the console's own neighbours on it).
    if (this.ips.some((ip) => (ip.port === null || ip.port === port) && ip.list.check(normalized, type))) return null;
    let nonPublic: string | null = null;
    for (const [reason, list] of this.policy.nonPublic) if (list.check(normalized, type)) nonPublic ??= reason;
    if (this.policy.ownAddresses.check(normalized, type)) {
      return { reason: nonPublic === 'a loopback address' ? nonPublic : "one of this host's own addresses", fixable: true };
    }
    if (this.cidrs.check(normalized, type)) return null;
    return nonPublic === null ? null : { reason: nonPublic, fixable: true };
  }
}

/** The port a URL connects to (the scheme's default when none is written). */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function unbracket(host: string): string {
  return host.replace(/^\[|\]$/g, '');
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
