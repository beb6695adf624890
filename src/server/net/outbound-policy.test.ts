import type dns from 'node:dns';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../config/env';
import { isAppError } from '../errors';
import { parseAllowList } from './allow-list';
import { OutboundPolicy, type OutboundScope, unmapIpv4 } from './outbound-policy';
import { allowListsOf } from './outbound.config';

/** A policy from environment variables, exactly as the container builds it. */
function policyOf(env: Record<string, string>, hostAddresses: string[] = []): OutboundPolicy {
  return new OutboundPolicy({ allow: allowListsOf(parseEnv(env)), hostAddresses });
}

const defaults = policyOf({});
// The default install's scope, and one where loopback and private ranges are listed for the platform's polls.
const strict = defaults.scope('poll', 'platform');
const listed = policyOf({ OUTBOUND_ALLOW_POLL: '127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7' });
const permissive = listed.scope('poll', 'platform');

/** The message of the INVALID_INPUT error parseUrl throws, or null when it accepts the URL. */
function parseRefusal(policy: OutboundScope, url: string): string | null {
  try {
    policy.parseUrl(url);
    return null;
  } catch (error) {
    if (!isAppError(error)) throw error;
    expect(error.code).toBe('INVALID_INPUT');
    return error.message;
  }
}

function lookup(policy: OutboundScope, host: string, port = 80): Promise<{ error: NodeJS.ErrnoException | null; addresses: dns.LookupAddress[] }> {
  return new Promise((resolve) => {
    policy.lookupFor(port)(host, { all: true }, (error, addresses) => {
      resolve({ error, addresses: Array.isArray(addresses) ? addresses : [] });
    });
  });
}

describe('OutboundPolicy.parseUrl', () => {
  it.each([
    ['ftp://example.com/file', 'must use http or https, not ftp'],
    ['file:///etc/passwd', 'must use http or https, not file'],
    ['gopher://example.com/', 'must use http or https, not gopher'],
    ['javascript:alert(1)', 'must use http or https, not javascript'],
    ['data:text/plain,hello', 'must use http or https, not data'],
    ['not a url', 'is not a valid URL'],
    ['http://user:secret@example.com/', 'must not contain credentials'],
  ])('refuses %s', (url, message) => {
    expect(parseRefusal(permissive, url)).toContain(message);
  });

  // Each written the way an attacker would try to sneak it past a naive string check; the URL parser
  // normalises decimal, octal and hex forms, and IPv6 forms are unmapped before the check.
  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://2852039166/', 'link-local'],
    ['http://0251.0376.0251.0376/', 'link-local'],
    ['http://0xa9fea9fe/', 'link-local'],
    ['http://[::ffff:169.254.169.254]/', 'link-local'],
    ['http://[::ffff:a9fe:a9fe]/', 'link-local'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[fd00:ec2::254]/', 'cloud metadata'],
    ['http://100.100.100.200/', 'cloud metadata'],
    ['http://168.63.129.16/', 'cloud metadata'],
    ['http://0.0.0.0:8000/', 'this network'],
    ['http://[::]/', 'unspecified'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://240.0.0.1/', 'reserved'],
  ])('always refuses %s, even when private ranges are listed', (url, reason) => {
    expect(parseRefusal(permissive, url)).toContain(reason);
    expect(parseRefusal(strict, url)).toContain(reason);
  });

  it.each([
    ['http://10.1.2.3:8000/v1', 'a private address'],
    ['http://172.16.0.10/', 'a private address'],
    ['http://172.31.255.255/', 'a private address'],
    ['http://192.168.1.20:11434', 'a private address'],
    ['http://100.64.0.1/', 'a shared (CGNAT) address'],
    ['http://127.0.0.1:8080/metrics', 'a loopback address'],
    ['http://[::1]:8080/', 'a loopback address'],
    ['http://[fc00::1]/', 'a private (unique local) address'],
    ['http://[fd12:3456::1]/', 'a private (unique local) address'],
    ['http://[fec0::1]/', 'a site-local address'],
    ['http://[::ffff:10.0.0.1]/', 'a private address'],
    ['http://192.0.2.10/', 'a documentation address'],
    ['http://198.51.100.7/', 'a documentation address'],
    ['http://203.0.113.200/', 'a documentation address'],
    ['http://[2001:db8::5]/', 'a documentation address'],
    ['http://198.18.0.1/', 'a benchmarking address'],
    ['http://198.19.255.1/', 'a benchmarking address'],
    ['http://[2001:2::1]/', 'a benchmarking address'],
  ])('refuses the non-public %s by default, naming the variables to set, and allows it when listed', (url, reason) => {
    const message = parseRefusal(strict, url) ?? '';
    expect(message).toContain(reason);
    expect(message).toContain('to allow it for polls set OUTBOUND_ALLOW_POLL (for tenants: OUTBOUND_TENANT_ALLOW_POLL)');
    const documentation = /documentation|benchmarking|site-local/.test(reason);
    if (!documentation) expect(parseRefusal(permissive, url)).toBeNull();
  });

  it.each([
    'http://8.8.8.8/',
    'https://api.openai.com/v1',
    'http://172.32.0.1/',
    'http://[2001:4860:4860::8888]/',
    'http://100.128.0.1/',
    'http://198.20.0.1/',
  ])('allows the public address %s either way', (url) => {
    expect(parseRefusal(permissive, url)).toBeNull();
    expect(parseRefusal(strict, url)).toBeNull();
  });

  it('keeps the path prefix and leaves host names to the connect-time check', () => {
    expect(permissive.parseUrl('http://gw.internal/team-a/vllm').pathname).toBe('/team-a/vllm');
    // A name is not refused here: what it resolves to is checked when connecting (see lookup below).
    expect(parseRefusal(strict, 'http://metadata.google.internal/')).toBeNull();
  });
});

describe('allow-lists per use and reach', () => {
  it('parses CIDRs, addresses, addresses with ports and host names, and refuses anything else at boot', () => {
    const parsed = parseAllowList(' 10.0.0.0/8, fd00::/8,10.1.2.3 ,127.0.0.1:3000,[::1]:3000,inference.internal,Inference.Internal:8000,,');
    expect(parsed.ok && parsed.entries.map((e) => e.kind)).toEqual(['cidr', 'cidr', 'ip', 'ip', 'ip', 'host', 'host']);
    for (const bad of ['10.0.0.0/33', '1.2.3.4:99999', 'host:0', 'host:70000', 'a b', '10.0.0.0/8/1', '[10.0.0.1]:80', 'http://x']) {
      expect(parseAllowList(bad).ok, bad).toBe(false);
    }
    expect(() => parseEnv({ OUTBOUND_ALLOW_WEBHOOK: '10.0.0.0/8,not a host' })).toThrow(/OUTBOUND_ALLOW_WEBHOOK: "not a host" is neither/);
  });

  it('OUTBOUND_ALLOW_PRIVATE=false is accepted; true stops the boot naming the new variables', () => {
    expect(() => parseEnv({ OUTBOUND_ALLOW_PRIVATE: 'false' })).not.toThrow();
    expect(() => parseEnv({ OUTBOUND_ALLOW_PRIVATE: 'true' })).toThrow(
      /OUTBOUND_ALLOW_PRIVATE: no longer exists.*OUTBOUND_ALLOW_POLL.*OUTBOUND_ALLOW_WEBHOOK.*OUTBOUND_ALLOW_BROWSER/s,
    );
  });

  it('keeps each use to its own list, and tenants to the tenant list', () => {
    const policy = policyOf({ OUTBOUND_ALLOW_POLL: '10.0.0.0/8', OUTBOUND_TENANT_ALLOW_WEBHOOK: '192.168.5.0/24' });
    expect(policy.scope('poll', 'platform').refusal('10.2.3.4', 80)).toBeNull();
    // the poll's platform list opens nothing to tenants, webhooks or browser sessions
    expect(policy.scope('poll', 'tenant').refusal('10.2.3.4', 80)?.reason).toBe('a private address');
    expect(policy.scope('webhook', 'platform').refusal('10.2.3.4', 80)?.reason).toBe('a private address');
    expect(policy.scope('browser', 'platform').refusal('10.2.3.4', 80)?.reason).toBe('a private address');
    // a tenant list opens its range to tenants of that use only
    expect(policy.scope('webhook', 'tenant').refusal('192.168.5.9', 443)).toBeNull();
    expect(policy.scope('webhook', 'platform').refusal('192.168.5.9', 443)?.reason).toBe('a private address');
    expect(policy.scope('poll', 'tenant').refusal('192.168.5.9', 443)?.reason).toBe('a private address');
  });

  it('an address with a port opens that port only', () => {
    const scope = policyOf({ OUTBOUND_ALLOW_POLL: '127.0.0.1:3000,[::1]:3001' }).scope('poll', 'platform');
    expect(scope.refusal('127.0.0.1', 3000)).toBeNull();
    expect(scope.refusal('127.0.0.1', 3001)?.reason).toBe('a loopback address');
    expect(scope.refusal('::1', 3001)).toBeNull();
    expect(scope.refusal('::1', 3000)?.reason).toBe('a loopback address');
    expect(parseRefusal(scope, 'http://127.0.0.1:3000/x')).toBeNull();
    expect(parseRefusal(scope, 'http://127.0.0.1/x')).toContain('a loopback address');
  });

  it('a host-name entry lets that name (and port) resolve to a non-public address, never to an always-refused one', () => {
    const scope = policyOf({ OUTBOUND_ALLOW_POLL: 'inference.internal:8000,gw.internal' }).scope('poll', 'platform');
    expect(scope.refusal('10.9.9.9', 8000, 'inference.internal')).toBeNull();
    expect(scope.refusal('10.9.9.9', 8000, 'INFERENCE.internal.')).toBeNull();
    expect(scope.refusal('10.9.9.9', 8001, 'inference.internal')?.reason).toBe('a private address');
    expect(scope.refusal('10.9.9.9', 8000, 'other.internal')?.reason).toBe('a private address');
    expect(scope.refusal('10.9.9.9', 8000)?.reason).toBe('a private address');
    expect(scope.refusal('10.9.9.9', 1234, 'gw.internal')).toBeNull();
    expect(scope.refusal('169.254.169.254', 80, 'gw.internal')?.reason).toMatch(/link-local/);
  });

  it("refuses this host's own addresses unless an entry names the address itself, not a range around it", () => {
    const own = ['10.20.30.40', 'fd00::40'];
    expect(policyOf({ OUTBOUND_ALLOW_POLL: '10.0.0.0/8' }, own).scope('poll', 'platform').refusal('10.20.30.40', 80)?.reason).toBe(
      "one of this host's own addresses",
    );
    expect(policyOf({ OUTBOUND_ALLOW_POLL: '10.0.0.0/8' }, own).scope('poll', 'platform').refusal('10.20.30.41', 80)).toBeNull();
    expect(policyOf({ OUTBOUND_ALLOW_POLL: '10.20.30.40:9000' }, own).scope('poll', 'platform').refusal('10.20.30.40', 9000)).toBeNull();
    // a public address of this host is refused too (the console's own listeners)
    expect(policyOf({}, ['8.8.4.4']).scope('webhook', 'platform').refusal('8.8.4.4', 443)?.reason).toBe("one of this host's own addresses");
    // by default the real interfaces are read
    expect(new OutboundPolicy({ allow: allowListsOf(parseEnv({})) }).scope('poll', 'platform').refusal('127.0.0.1', 80)).not.toBeNull();
  });

  it('entries in always-refused ranges stay refused; entries added at run time apply at once', () => {
    const policy = policyOf({ OUTBOUND_ALLOW_POLL: '169.254.0.0/16,0.0.0.0/0' });
    expect(policy.scope('poll', 'platform').refusal('169.254.169.254', 80)?.fixable).toBe(false);
    expect(policy.scope('poll', 'platform').refusal('10.1.1.1', 80)).toBeNull();
    const fresh = policyOf({});
    expect(fresh.scope('poll', 'platform').refusal('127.0.0.1', 3190)).not.toBeNull();
    fresh.allow('poll', 'platform', '127.0.0.1:3190');
    expect(fresh.scope('poll', 'platform').refusal('127.0.0.1', 3190)).toBeNull();
    expect(fresh.scope('poll', 'platform').refusal('127.0.0.1', 3191)).not.toBeNull();
    expect(fresh.scope('poll', 'tenant').refusal('127.0.0.1', 3190)).not.toBeNull();
  });
});

describe('OutboundScope.refusal and unmapIpv4', () => {
  it('unmaps IPv4-mapped and NAT64 addresses and leaves others alone', () => {
    expect(unmapIpv4('::ffff:169.254.169.254')).toBe('169.254.169.254');
    expect(unmapIpv4('::FFFF:A9FE:A9FE')).toBe('169.254.169.254');
    expect(unmapIpv4('0:0:0:0:0:ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(unmapIpv4('64:ff9b::a9fe:a9fe')).toBe('169.254.169.254');
    expect(unmapIpv4('64:ff9b::10.0.0.1')).toBe('10.0.0.1');
    expect(unmapIpv4('2001:db8::a9fe:a9fe')).toBe('2001:db8::a9fe:a9fe');
    expect(unmapIpv4('::1')).toBe('::1');
  });

  it('names why an address is refused, or null', () => {
    expect(permissive.refusal('169.254.10.1', 80)?.reason).toMatch(/link-local/);
    expect(permissive.refusal('127.0.0.1', 80)).toBeNull();
    expect(strict.refusal('127.0.0.1', 80)?.reason).toBe('a loopback address');
    expect(strict.refusal('::ffff:127.0.0.1', 80)?.reason).toBe('a loopback address');
    expect(permissive.refusal('example.com', 80)?.reason).toBe('not an IP address');
  });
});

describe('OutboundScope.lookupFor and assertHostAllowed (the address actually connected to)', () => {
  it('resolves a name to allowed addresses', async () => {
    const { error, addresses } = await lookup(permissive, 'localhost');
    expect(error).toBeNull();
    expect(addresses.length).toBeGreaterThan(0);
  });

  it('refuses a name whose address is refused, with a code the HTTP client recognises', async () => {
    const { error } = await lookup(strict, 'localhost');
    expect(error?.code).toBe('EOUTBOUNDREFUSED');
    expect(error?.message).toMatch(/Refused outbound connection to localhost \((127\.0\.0\.1|::1)\)/);
  });

  it('answers single-address lookups too', async () => {
    const result = await new Promise<{ error: Error | null; address: string }>((resolve) => {
      permissive.lookupFor(80)('localhost', {}, (error, address) => resolve({ error, address: String(address) }));
    });
    expect(result.error).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(result.address);
  });

  it('assertHostAllowed checks names and literals; a tenant is not told where an internal name points', async () => {
    await expect(permissive.assertHostAllowed('localhost', 80)).resolves.toBeUndefined();
    await expect(strict.assertHostAllowed('localhost', 80)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(strict.assertHostAllowed('localhost', 80)).rejects.toThrow(
      /localhost resolves to (127\.0\.0\.1|::1), which is a loopback address; to allow it/,
    );
    const tenant = defaults.scope('browser', 'tenant');
    const refused = await tenant.assertHostAllowed('localhost', 80).then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(refused?.message).toMatch(
      /localhost resolves to a loopback address; to allow it for browser sessions set OUTBOUND_ALLOW_BROWSER \(for tenants: OUTBOUND_TENANT_ALLOW_BROWSER\)/,
    );
    expect(refused?.message).not.toMatch(/127\.0\.0\.1|::1/);
    await expect(permissive.assertHostAllowed('[fe80::1]', 80)).rejects.toThrow(/link-local/);
  });
});
