import 'server-only';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { OutboundPolicy } from '../net/outbound-policy';
import type { OutboundReach } from '../net/outbound.config';
import { quotaExceeded } from '../tenants/tenant-quotas';
import type { TenantQuotas } from '../config/tenants.config';
import type { Channel, Rule } from './alert-views';
import type { ChannelInput, RotateSecretInput } from './alerts.schemas';
import { type ChannelSecrets, DEFAULT_ROTATION_OVERLAP_SECONDS } from './channel-secrets';
import { maskSlackUrl } from './channel-urls';
import { DEFAULT_SIGNATURE_SCHEME } from '../../shared/alert-metrics';
import { standardSecretProblem } from './webhook-signature';
import type { NotificationOutbox } from './notification-outbox';

/**
 * A rule's notification channels: their URLs checked against the outbound policy, their secrets sealed, their
 * list replaced in the rule's write transaction, their secrets rotated with an overlap. Waiting deliveries of a
 * channel that goes are cancelled with it.
 */
export class RuleChannels {
  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      outbox: NotificationOutbox;
      policy: OutboundPolicy;
      secrets: ChannelSecrets;
      quotas: TenantQuotas;
    },
  ) {}

  /** The channels of each rule, in their order. */
  async of(ruleIds: string[]): Promise<Map<string, Channel[]>> {
    const byRule = new Map<string, Channel[]>();
    for (let i = 0; i < ruleIds.length; i += 500) {
      const rows = await this.deps.db
        .selectFrom('alert_channels')
        .selectAll()
        .where('rule_id', 'in', ruleIds.slice(i, i + 500))
        .orderBy('position')
        .execute();
      for (const row of rows) byRule.set(row.rule_id, [...(byRule.get(row.rule_id) ?? []), row]);
    }
    return byRule;
  }

  /** New URLs are checked with the reach they get; a channel kept as it is (same type and URL) keeps the reach it had. */
  check(channels: ChannelInput[], reach: OutboundReach, current: Channel[] = []): void {
    const scope = this.deps.policy.scope('webhook', reach);
    channels.forEach((c, i) => {
      if (current.some((k) => isSameChannel(k, c))) return;
      scope.parseUrl(c.url, `channels.${i}.url`);
    });
  }

  /** QUOTA_EXCEEDED when the tenant now has more channels than TENANT_MAX_NOTIFICATION_CHANNELS (rolls back the write). */
  async checkQuota(trx: Kysely<Database>, tenantId: string, added: number): Promise<void> {
    if (added <= 0) return;
    const quota = this.deps.quotas.notificationChannels;
    if ((await countForTenant(trx, 'alert_channels', tenantId)) > quota)
      throw quotaExceeded('notification channels', quota, 'TENANT_MAX_NOTIFICATION_CHANNELS');
  }

  /**
   * A channel given again with the same type and URL — or, for Slack, the masked URL its view shows — keeps its
   * id, secret and reach. Secrets are sealed before they are written (see ChannelSecrets). A channel's URL never
   * changes in place (a new URL is a new channel), so its reach is the one it was created with.
   */
  async replace(trx: Kysely<Database>, rule: Rule, current: Channel[], wanted: ChannelInput[], now: number, reach: OutboundReach) {
    const generated = new Map<string, string>();
    const unmatched = [...current];
    const channels: Channel[] = [];
    for (const [position, input] of wanted.entries()) {
      const index = unmatched.findIndex((c) => isSameChannel(c, input));
      const kept = index >= 0 ? unmatched.splice(index, 1)[0] : undefined;
      const id = kept?.id ?? randomUUID();
      const path = `channels.${position}.secret`;
      // A channel given again keeps its scheme unless the input names one; a new one starts with the default.
      const scheme = input.signatureScheme ?? kept?.signature_scheme ?? DEFAULT_SIGNATURE_SCHEME;
      const schemeChanged = kept !== undefined && kept.signature_scheme !== scheme;
      let fresh: string | null = input.type === 'webhook' ? (input.secret ?? null) : null;
      // The schema checks a secret given with `signatureScheme: standard-webhooks`; this, one given to a channel kept so.
      const problem = scheme === 'standard-webhooks' && fresh !== null ? standardSecretProblem(fresh) : null;
      if (problem) throw new AppError('INVALID_INPUT', `Invalid request body: ${path}: ${problem}`, { issues: [{ path, message: problem }] });
      if (input.type === 'webhook' && fresh === null && (schemeChanged || (kept?.secret_enc == null && kept?.secret == null))) {
        // Every webhook is signed: a channel without a secret gets one, shown once in this answer. So does a channel
        // whose scheme changes, since a secret of one scheme's form is not one of the other's.
        fresh = this.deps.secrets.generate(scheme);
        generated.set(id, fresh);
      }
      const sealed = fresh === null ? null : this.deps.secrets.seal(fresh, id, path);
      const channel: Channel = {
        id,
        rule_id: rule.id,
        tenant_id: rule.tenant_id,
        type: input.type,
        url: kept?.url ?? input.url,
        reach: kept?.reach ?? reach,
        // A new secret replaces the old at once (no overlap: that is what rotation is for).
        secret: sealed === null ? (kept?.secret ?? null) : null,
        secret_enc: sealed ?? kept?.secret_enc ?? null,
        previous_secret_enc: sealed === null ? (kept?.previous_secret_enc ?? null) : null,
        previous_secret_expires_at: sealed === null ? (kept?.previous_secret_expires_at ?? null) : null,
        signature_scheme: scheme,
        position,
        created_at: kept?.created_at ?? now,
      };
      if (kept) {
        const { secret, secret_enc, previous_secret_enc, previous_secret_expires_at, signature_scheme } = channel;
        await trx
          .updateTable('alert_channels')
          .set({ secret, secret_enc, previous_secret_enc, previous_secret_expires_at, signature_scheme, position })
          .where('id', '=', kept.id)
          .execute();
      } else {
        await trx.insertInto('alert_channels').values(channel).execute();
      }
      channels.push(channel);
    }
    if (unmatched.length > 0) {
      const ids = unmatched.map((c) => c.id);
      await this.deps.outbox.cancelForChannels(trx, ids, 'The channel was removed from the rule', now);
      await trx.deleteFrom('alert_channels').where('id', 'in', ids).execute();
    }
    return { channels, generated };
  }

  /**
   * Seals `secret` (or a generated one) as the channel's secret and keeps the current one for `overlapSeconds`
   * (default 24 h). Answers the secret in force and the overlap used; the caller audits and answers.
   */
  async rotateSecret(trx: Kysely<Database>, ruleId: string, channelId: string, input: RotateSecretInput, now: number) {
    const overlapSeconds = input.overlapSeconds ?? DEFAULT_ROTATION_OVERLAP_SECONDS;
    const channel = await trx.selectFrom('alert_channels').selectAll().where('id', '=', channelId).where('rule_id', '=', ruleId).executeTakeFirst();
    if (!channel) throw new AppError('NOT_FOUND', `Channel not found on rule ${ruleId}: ${channelId}`);
    if (channel.type !== 'webhook') throw new AppError('INVALID_INPUT', 'Only webhook channels have a secret to rotate');
    const problem = channel.signature_scheme === 'standard-webhooks' && input.secret !== undefined ? standardSecretProblem(input.secret) : null;
    if (problem) throw new AppError('INVALID_INPUT', `Invalid request body: secret: ${problem}`, { issues: [{ path: 'secret', message: problem }] });
    const secret = input.secret ?? this.deps.secrets.generate(channel.signature_scheme);
    const sealed = this.deps.secrets.seal(secret, channelId, 'secret');
    // The legacy clear secret (not sealed yet) is sealed as the previous one, so it keeps verifying too.
    const previous = channel.secret_enc ?? (channel.secret === null ? null : this.deps.secrets.seal(channel.secret, channel.id, 'secret'));
    await trx
      .updateTable('alert_channels')
      .set({
        secret_enc: sealed,
        secret: null,
        previous_secret_enc: overlapSeconds > 0 ? previous : null,
        previous_secret_expires_at: overlapSeconds > 0 && previous !== null ? now + overlapSeconds * 1000 : null,
      })
      .where('id', '=', channelId)
      .execute();
    return { secret, overlapSeconds };
  }
}

/** How many rows of an alerts table belong to a tenant, for its quotas (inside the write that adds them). */
export async function countForTenant(trx: Kysely<Database>, table: 'alert_rules' | 'alert_channels', tenantId: string): Promise<number> {
  const { n } = await trx
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** A channel given again with its type and URL — or, for Slack, the masked URL its view shows — is the same channel. */
function isSameChannel(stored: Channel, given: ChannelInput): boolean {
  return stored.type === given.type && (stored.url === given.url || (stored.type === 'slack' && maskSlackUrl(stored.url) === given.url));
}
