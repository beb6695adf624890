import { OutboundPolicy, type OutboundScope } from '../net/outbound-policy';
import { type AllowLists, type OutboundUse } from '../net/outbound.config';
import { parseAllowList } from '../net/allow-list';

/**
 * Test fixtures listen on loopback, which the default policy refuses. Containers and console processes of tests
 * get these allow-lists for the platform (tenant lists stay empty), unless a test overrides them ('' = the
 * default install's empty list).
 */
export const TEST_OUTBOUND_ENV: Record<string, string> = {
  OUTBOUND_ALLOW_POLL: '127.0.0.1,::1',
  OUTBOUND_ALLOW_WEBHOOK: '127.0.0.1,::1',
  OUTBOUND_ALLOW_BROWSER: '127.0.0.1,::1',
};

/** The environment of a default install: every allow-list empty. */
export const DEFAULT_OUTBOUND_ENV: Record<string, string> = {
  OUTBOUND_ALLOW_POLL: '',
  OUTBOUND_ALLOW_WEBHOOK: '',
  OUTBOUND_ALLOW_BROWSER: '',
};

function lists(text: string): AllowLists {
  const parsed = parseAllowList(text);
  if (!parsed.ok) throw new Error(parsed.error);
  const entries = parsed.entries;
  return {
    poll: { platform: entries, tenant: [] },
    webhook: { platform: entries, tenant: [] },
    browser: { platform: entries, tenant: [] },
  };
}

/** A policy whose platform lists hold `allow` (e.g. '127.0.0.1,::1'), tenant lists empty. */
export function testPolicy(allow = ''): OutboundPolicy {
  return new OutboundPolicy({ allow: lists(allow) });
}

/** The platform scope of `use` with loopback allowed: for tests that talk to fixture servers. */
export function loopbackScope(use: OutboundUse = 'poll'): OutboundScope {
  return testPolicy('127.0.0.1,::1').scope(use, 'platform');
}
