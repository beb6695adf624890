import 'server-only';
import { z } from 'zod';
import { type AllowEntry, parseAllowList } from './allow-list';

/** What an outbound request is for; each use has its own allow-lists. */
export const OUTBOUND_USES = ['poll', 'webhook', 'browser'] as const;
export type OutboundUse = (typeof OUTBOUND_USES)[number];

/**
 * Who set the URL a request goes to. `platform`: an admin, an unrestricted token, demo data or the CLI — public
 * addresses plus the platform list of the use. `tenant`: a tenant-restricted principal — public addresses plus the
 * tenant list of the use, never the platform list.
 */
export const OUTBOUND_REACHES = ['platform', 'tenant'] as const;
export type OutboundReach = (typeof OUTBOUND_REACHES)[number];

/** The variable holding the allow-list of one use and reach, e.g. OUTBOUND_TENANT_ALLOW_POLL. */
export function allowListVariable(use: OutboundUse, reach: OutboundReach): string {
  return `OUTBOUND_${reach === 'tenant' ? 'TENANT_' : ''}ALLOW_${use.toUpperCase()}`;
}

const allowList = z
  .string()
  .default('')
  .transform((text, ctx): AllowEntry[] => {
    const parsed = parseAllowList(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed.entries;
  });

/**
 * Environment variables of outbound reach, as a zod shape merged into the one schema env.ts parses. Every list
 * is empty by default: only public addresses are reachable. docs/configuration.md describes each.
 */
export const outboundEnv = {
  OUTBOUND_ALLOW_POLL: allowList,
  OUTBOUND_ALLOW_WEBHOOK: allowList,
  OUTBOUND_ALLOW_BROWSER: allowList,
  OUTBOUND_TENANT_ALLOW_POLL: allowList,
  OUTBOUND_TENANT_ALLOW_WEBHOOK: allowList,
  OUTBOUND_TENANT_ALLOW_BROWSER: allowList,
  /**
   * Replaced by the lists above. `false` is what every install now does and is accepted; `true` used to open
   * every private range and loopback to everyone, which no longer exists, so it stops the boot and says what to set.
   */
  OUTBOUND_ALLOW_PRIVATE: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === 'false', {
      message:
        'no longer exists: private and loopback addresses are refused unless listed. Set OUTBOUND_ALLOW_POLL, ' +
        'OUTBOUND_ALLOW_WEBHOOK and OUTBOUND_ALLOW_BROWSER (and OUTBOUND_TENANT_ALLOW_* for tenant-set URLs) to the ' +
        'CIDRs or hosts each use may reach (e.g. OUTBOUND_ALLOW_POLL=10.0.0.0/8), and remove OUTBOUND_ALLOW_PRIVATE ' +
        '(see docs/configuration.md, "Upgrading: OUTBOUND_ALLOW_PRIVATE")',
    }),
};

type ListVariable = Exclude<keyof typeof outboundEnv, 'OUTBOUND_ALLOW_PRIVATE'>;
type OutboundEnv = { [K in ListVariable]: z.infer<(typeof outboundEnv)[K]> };

/**
 * The reach of a URL set by a caller: `tenant` for a tenant-restricted principal (its tenant id), `platform` for
 * everyone else (admins, unrestricted tokens, demo data, the CLI).
 */
export function reachOf(restrictedTo: string | null): OutboundReach {
  return restrictedTo === null ? 'platform' : 'tenant';
}

/** Allow-lists per use and reach, as the policy takes them. */
export type AllowLists = Record<OutboundUse, Record<OutboundReach, AllowEntry[]>>;

export function allowListsOf(env: OutboundEnv): AllowLists {
  return {
    poll: { platform: env.OUTBOUND_ALLOW_POLL, tenant: env.OUTBOUND_TENANT_ALLOW_POLL },
    webhook: { platform: env.OUTBOUND_ALLOW_WEBHOOK, tenant: env.OUTBOUND_TENANT_ALLOW_WEBHOOK },
    browser: { platform: env.OUTBOUND_ALLOW_BROWSER, tenant: env.OUTBOUND_TENANT_ALLOW_BROWSER },
  };
}
