import type dns from 'node:dns';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors';
import { OutboundPolicy, unmapIpv4 } from './outbound-policy';

const permissive = new OutboundPolicy({ allowPrivate: true });
const strict = new OutboundPolicy({ allowPrivate: false });

/** The message of the INVALID_INPUT error parseUrl throws, or null when it accepts the URL. */
function parseRefusal(policy: OutboundPolicy, url: string): string | null {
  try {
    policy.parseUrl(url);
    return null;
  } catch (error) {
    if (!isAppError(error)) throw error;
    expect(error.code).toBe('INVALID_INPUT');
    return error.message;
  }
}

function lookup(policy: OutboundPolicy, host: string): Promise<{ error: NodeJS.ErrnoException | null; addresses: dns.LookupAddress[] }> {
  return new Promise((resolve) => {
    policy.lookup(host, { all: true }, (error, addresses) => {
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
  ])('always refuses %s, even when private ranges are allowed', (url, reason) => {
    expect(parseRefusal(permissive, url)).toContain(reason);
    expect(parseRefusal(strict, url)).toContain(reason);
  });

  it.each([
    'http://10.1.2.3:8000/v1',
    'http://172.16.0.10/',
    'http://172.31.255.255/',
    'http://192.168.1.20:11434',
    'http://100.64.0.1/',
    'http://127.0.0.1:8080/metrics',
    'http://[::1]:8080/',
    'http://[fc00::1]/',
    'http://[::ffff:10.0.0.1]/',
  ])('allows the private or loopback address %s by default and refuses it when configured', (url) => {
    expect(parseRefusal(permissive, url)).toBeNull();
    expect(parseRefusal(strict, url)).toContain('OUTBOUND_ALLOW_PRIVATE=false');
  });

  it.each(['http://8.8.8.8/', 'https://api.openai.com/v1', 'http://172.32.0.1/', 'http://[2001:4860:4860::8888]/'])(
    'allows the public address %s either way',
    (url) => {
      expect(parseRefusal(permissive, url)).toBeNull();
      expect(parseRefusal(strict, url)).toBeNull();
    },
  );

  it('keeps the path prefix and leaves host names to the connect-time check', () => {
    expect(permissive.parseUrl('http://gw.internal/team-a/vllm').pathname).toBe('/team-a/vllm');
    // A name is not refused here: what it resolves to is checked when connecting (see lookup below).
    expect(parseRefusal(strict, 'http://metadata.google.internal/')).toBeNull();
  });
});

describe('OutboundPolicy.refusal and unmapIpv4', () => {
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
    expect(permissive.refusal('169.254.10.1')).toMatch(/link-local/);
    expect(permissive.refusal('127.0.0.1')).toBeNull();
    expect(strict.refusal('127.0.0.1')).toMatch(/private or loopback/);
    expect(permissive.refusal('example.com')).toBe('not an IP address');
  });
});

describe('OutboundPolicy.lookup and assertHostAllowed (the address actually connected to)', () => {
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
      permissive.lookup('localhost', {}, (error, address) => resolve({ error, address: String(address) }));
    });
    expect(result.error).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(result.address);
  });

  it('assertHostAllowed checks names and literals', async () => {
    await expect(permissive.assertHostAllowed('localhost')).resolves.toBeUndefined();
    await expect(strict.assertHostAllowed('localhost')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(permissive.assertHostAllowed('[fe80::1]')).rejects.toThrow(/link-local/);
  });
});
