import { describe, expect, it } from 'vitest';
import { PEER_HEADER, clientAddress, clientLimitKey, clientUsesHttps } from './client-address';

const headers = (h: Record<string, string>) => new Headers(h);

describe('clientAddress', () => {
  it('is the peer with no trusted hops, whatever X-Forwarded-For says', () => {
    expect(clientAddress(headers({ [PEER_HEADER]: '203.0.113.7', 'x-forwarded-for': '1.2.3.4' }), 0)).toBe('203.0.113.7');
  });

  it('takes the Nth entry from the right with the peer appended', () => {
    // client → proxy A (appends client) → proxy B (appends A) → console (peer = B)
    const h = headers({ [PEER_HEADER]: '10.0.0.2', 'x-forwarded-for': '6.6.6.6, 198.51.100.9, 10.0.0.1' });
    expect(clientAddress(h, 1)).toBe('10.0.0.1');
    expect(clientAddress(h, 2)).toBe('198.51.100.9');
  });

  it('never reaches entries the client wrote left of what the trusted proxies appended', () => {
    const forged = headers({ [PEER_HEADER]: '10.0.0.1', 'x-forwarded-for': '1.1.1.1, 2.2.2.2, 198.51.100.9' });
    expect(clientAddress(forged, 1)).toBe('198.51.100.9');
  });

  it('falls back to the leftmost entry when the chain is shorter than configured', () => {
    expect(clientAddress(headers({ [PEER_HEADER]: '10.0.0.1' }), 3)).toBe('10.0.0.1');
  });

  it('normalizes IPv4-mapped IPv6 and ports, and names a request that did not come through the server', () => {
    expect(clientAddress(headers({ [PEER_HEADER]: '::ffff:127.0.0.1' }), 0)).toBe('127.0.0.1');
    expect(clientAddress(headers({ [PEER_HEADER]: '10.0.0.1', 'x-forwarded-for': '198.51.100.9:4711' }), 1)).toBe('198.51.100.9');
    expect(clientAddress(headers({ 'x-forwarded-for': '1.2.3.4' }), 0)).toBe('unknown-peer');
  });
});

describe('clientUsesHttps', () => {
  it('believes X-Forwarded-Proto only from a trusted hop', () => {
    const h = headers({ [PEER_HEADER]: '10.0.0.1', 'x-forwarded-proto': 'https' });
    expect(clientUsesHttps(h, 0, 'auto')).toBe(false);
    expect(clientUsesHttps(h, 1, 'auto')).toBe(true);
    expect(clientUsesHttps(headers({ 'x-forwarded-proto': 'https, http' }), 1, 'auto')).toBe(false);
  });

  it('follows COOKIE_SECURE when forced', () => {
    expect(clientUsesHttps(headers({}), 0, 'always')).toBe(true);
    expect(clientUsesHttps(headers({ 'x-forwarded-proto': 'https' }), 1, 'never')).toBe(false);
  });
});

describe('clientLimitKey', () => {
  it('counts IPv6 clients by their /64 and IPv4 clients by address', () => {
    expect(clientLimitKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientLimitKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(clientLimitKey('198.51.100.9')).toBe('198.51.100.9');
  });
});
