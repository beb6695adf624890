import 'server-only';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log';
import type { DatabaseHandle } from '../db/client';
import { type Page, type PageRequest, afterKey, decodeCursor, toPage } from '../db/keyset-page';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { OutboundPolicy } from '../net/outbound-policy';
import { reachOf } from '../net/outbound.config';
import type { Caller } from '../auth/caller';
import { type TenantAccess, canSee, tenantAccessOf } from '../tenants/tenant-access';
import { lockTenantForQuota, quotaExceeded } from '../tenants/tenant-quotas';
import type { TenantQuotas } from '../config/tenants.config';
import { METRICS } from '../../shared/alert-metrics';
import { type Rule, toRuleView } from './alert-views';
import type {
  AcknowledgeInput,
  CreateRuleInput,
  IncidentDetail,
  IncidentView,
  IncidentsQuery,
  PreviewInput,
  PreviewView,
  RotateSecretInput,
  RuleView,
  RulesQuery,
  TargetsView,
  UpdateRuleInput,
} from './alerts.schemas';
import type { ChannelSecrets } from './channel-secrets';
import { IncidentReads } from './incident-reads';
import type { IncidentRepository } from './incidents.repository';
import type { NotificationOutbox } from './notification-outbox';
import { RuleChannels, countForTenant } from './rule-channels';
import { RuleScope, type ServerReads, type TenantReads } from './rule-scope';

/**
 * Alert rules and incidents for the REST and tRPC surfaces. Every method takes the {@link Caller} first: objects
 * of tenants it may not see answer "not found", exactly like missing ones. Mutations are written to the audit log
 * with the caller's label (`token:<name>` or `operator:<email>`). Channel URLs are checked against the outbound policy when
 * saved, and again on the connected address at every delivery.
 */
export class AlertsService {
  constructor(
    private readonly deps: {
      database: Pick<DatabaseHandle, 'db' | 'writeTransaction' | 'dialect'>;
      incidents: IncidentRepository;
      outbox: NotificationOutbox;
      audit: AuditLog;
      policy: OutboundPolicy;
      secrets: ChannelSecrets;
      quotas: TenantQuotas;
      /** Tenants and servers are read through their own domains (see docs/architecture.md), never their tables. */
      tenants: TenantReads;
      servers: ServerReads;
      now: () => number;
      /** Called when notifications were queued (a rule disabled with open incidents), to wake the delivery worker. */
      onQueued: () => void;
    },
  ) {
    const db = deps.database.db;
    this.channels = new RuleChannels({ db, outbox: deps.outbox, policy: deps.policy, secrets: deps.secrets, quotas: deps.quotas });
    this.incidentReads = new IncidentReads(db);
    this.scope = new RuleScope({ db, tenants: deps.tenants, servers: deps.servers });
  }

  private readonly channels: RuleChannels;
  private readonly incidentReads: IncidentReads;
  private readonly scope: RuleScope;

  private get db(): Kysely<Database> {
    return this.deps.database.db;
  }

  async listRules(caller: Caller, query: RulesQuery): Promise<RuleView[]> {
    const access = tenantAccessOf(caller);
    if (query.tenantId !== undefined) await this.scope.requireTenant(caller, query.tenantId);
    let q = this.db.selectFrom('alert_rules').selectAll();
    const tenantId = query.tenantId ?? access.restrictedTo;
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
    const rules = await q.orderBy('tenant_id').orderBy('name').orderBy('id').execute();
    const channels = await this.channels.of(rules.map((r) => r.id));
    return rules.map((r) => toRuleView(r, channels.get(r.id) ?? []));
  }

  /** One page of {@link listRules}, in the same order (tenant, name, id). */
  async listRulesPage(caller: Caller, query: RulesQuery, page: PageRequest): Promise<Page<RuleView>> {
    const access = tenantAccessOf(caller);
    if (query.tenantId !== undefined) await this.scope.requireTenant(caller, query.tenantId);
    let q = this.db.selectFrom('alert_rules').selectAll();
    const tenantId = query.tenantId ?? access.restrictedTo;
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
    if (page.cursor !== undefined) {
      const [t, n, i] = decodeCursor('alert-rules', page.cursor, ['string', 'string', 'string']);
      q = q.where(
        afterKey([
          { column: 'tenant_id', direction: 'asc', value: t as string },
          { column: 'name', direction: 'asc', value: n as string },
          { column: 'id', direction: 'asc', value: i as string },
        ]),
      );
    }
    const rules = await q
      .orderBy('tenant_id')
      .orderBy('name')
      .orderBy('id')
      .limit(page.limit + 1)
      .execute();
    const channels = await this.channels.of(rules.slice(0, page.limit).map((r) => r.id));
    return toPage(
      'alert-rules',
      rules,
      page.limit,
      (r) => [r.tenant_id, r.name, r.id],
      (r) => toRuleView(r, channels.get(r.id) ?? []),
    );
  }

  async getRule(caller: Caller, id: string): Promise<RuleView> {
    const access = tenantAccessOf(caller);
    const rule = await this.findRule(access, id);
    return toRuleView(rule, (await this.channels.of([rule.id])).get(rule.id) ?? []);
  }

  async createRule(caller: Caller, input: CreateRuleInput): Promise<RuleView> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    await this.scope.requireTenant(caller, input.tenantId);
    await this.scope.checkServer(input.tenantId, input.serverId);
    this.channels.check(input.channels, reachOf(access.restrictedTo));
    const now = this.deps.now();
    const rule: Rule = {
      id: randomUUID(),
      tenant_id: input.tenantId,
      name: input.name,
      metric: METRICS[input.metric].column,
      aggregation: input.aggregation,
      operator: input.operator,
      threshold: input.threshold,
      window_minutes: input.windowMinutes,
      server_id: input.serverId,
      severity: input.severity,
      no_data: input.noData,
      cooldown_minutes: input.cooldownMinutes,
      enabled: input.enabled ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    const { channels, generated } = await this.deps.database.writeTransaction(async (trx) => {
      await lockTenantForQuota(trx, this.deps.database.dialect, rule.tenant_id);
      const rules = await countForTenant(trx, 'alert_rules', rule.tenant_id);
      if (rules >= this.deps.quotas.alertRules) throw quotaExceeded('alert rules', this.deps.quotas.alertRules, 'TENANT_MAX_ALERT_RULES');
      await trx.insertInto('alert_rules').values(rule).execute();
      const replaced = await this.channels.replace(trx, rule, [], input.channels, now, reachOf(access.restrictedTo));
      await this.channels.checkQuota(trx, rule.tenant_id, input.channels.length);
      return replaced;
    });
    await this.deps.audit.record({
      actor,
      action: 'alerts.rule.create',
      target: rule.id,
      outcome: 'created',
      detail: { tenantId: rule.tenant_id, name: rule.name },
    });
    return toRuleView(rule, channels, generated);
  }

  /**
   * Changes the given fields. `channels` replaces the list: a channel given again with the same type and URL
   * keeps its id and secret (unless a new secret is given); removed channels' waiting deliveries are cancelled.
   * Disabling a rule resolves its open incidents at once (and notifies their resolution).
   */
  async updateRule(caller: Caller, id: string, patch: UpdateRuleInput): Promise<RuleView> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    const before = await this.findRule(access, id);
    if (patch.serverId !== undefined) await this.scope.checkServer(before.tenant_id, patch.serverId);
    if (patch.channels) {
      // Channels kept as they are keep the reach they were created with; only new URLs are checked, with the caller's.
      const current = (await this.channels.of([id])).get(id) ?? [];
      this.channels.check(patch.channels, reachOf(access.restrictedTo), current);
    }
    const now = this.deps.now();
    const next: Rule = {
      ...before,
      name: patch.name ?? before.name,
      metric: patch.metric ? METRICS[patch.metric].column : before.metric,
      aggregation: patch.aggregation ?? before.aggregation,
      operator: patch.operator ?? before.operator,
      threshold: patch.threshold ?? before.threshold,
      window_minutes: patch.windowMinutes ?? before.window_minutes,
      server_id: patch.serverId === undefined ? before.server_id : patch.serverId,
      severity: patch.severity ?? before.severity,
      no_data: patch.noData ?? before.no_data,
      cooldown_minutes: patch.cooldownMinutes ?? before.cooldown_minutes,
      enabled: patch.enabled === undefined ? before.enabled : patch.enabled ? 1 : 0,
      updated_at: now,
    };
    const { channels, generated, queued } = await this.deps.database.writeTransaction(async (trx) => {
      const { id: _id, tenant_id: _tenant, created_at: _created, ...changes } = next;
      if (patch.channels) await lockTenantForQuota(trx, this.deps.database.dialect, next.tenant_id);
      await trx.updateTable('alert_rules').set(changes).where('id', '=', id).execute();
      const current = await trx.selectFrom('alert_channels').selectAll().where('rule_id', '=', id).orderBy('position').execute();
      const replaced = patch.channels
        ? await this.channels.replace(trx, next, current, patch.channels, now, reachOf(access.restrictedTo))
        : { channels: current, generated: new Map<string, string>() };
      if (patch.channels && patch.channels.length > current.length) await this.channels.checkQuota(trx, next.tenant_id, patch.channels.length - current.length);
      let queued = 0;
      if (before.enabled === 1 && next.enabled === 0) {
        const open = await trx.selectFrom('incidents').select(['id', 'last_value']).where('rule_id', '=', id).where('resolved_at', 'is', null).execute();
        const resolved = await this.deps.incidents.resolve(
          open.map((i) => ({ incidentId: i.id, value: i.last_value, resolution: 'rule-disabled' as const })),
          now,
          actor,
          { notify: true, trx },
        );
        queued = resolved.queued;
      }
      return { ...replaced, queued };
    });
    if (queued > 0) this.deps.onQueued();
    await this.deps.audit.record({
      actor,
      action: 'alerts.rule.update',
      target: id,
      outcome: 'updated',
      detail: { tenantId: next.tenant_id, fields: Object.keys(patch) },
    });
    return toRuleView(next, channels, generated);
  }

  /**
   * Deletes a rule and its channels. Its open incidents resolve (`rule-deleted`) without notifications, since
   * the channels go with the rule; deliveries still waiting are cancelled. Incident history stays.
   */
  async deleteRule(caller: Caller, id: string): Promise<RuleView> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    const rule = await this.findRule(access, id);
    const channels = (await this.channels.of([id])).get(id) ?? [];
    const now = this.deps.now();
    await this.deps.database.writeTransaction(async (trx) => {
      const open = await trx.selectFrom('incidents').select(['id', 'last_value']).where('rule_id', '=', id).where('resolved_at', 'is', null).execute();
      await this.deps.incidents.resolve(
        open.map((i) => ({ incidentId: i.id, value: i.last_value, resolution: 'rule-deleted' as const })),
        now,
        actor,
        { notify: false, trx },
      );
      await this.deps.outbox.cancelForChannels(
        trx,
        channels.map((c) => c.id),
        'The rule was deleted',
        now,
      );
      await trx.deleteFrom('alert_channels').where('rule_id', '=', id).execute();
      await trx.deleteFrom('alert_rules').where('id', '=', id).execute();
    });
    await this.deps.audit.record({
      actor,
      action: 'alerts.rule.delete',
      target: id,
      outcome: 'deleted',
      detail: { tenantId: rule.tenant_id, name: rule.name },
    });
    return toRuleView(rule, channels);
  }

  /**
   * Gives a webhook channel a new secret (the one given, or a generated one returned once as `generatedSecret`)
   * and keeps the current one for `overlapSeconds` (default 24 h): until then every delivery carries both
   * signatures, so a receiver can switch keys without missing a notification. A second rotation within the
   * overlap replaces the kept secret with the one being rotated out. Idempotent it is not: each call rotates.
   */
  async rotateChannelSecret(caller: Caller, ruleId: string, channelId: string, input: RotateSecretInput): Promise<RuleView> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    const rule = await this.findRule(access, ruleId);
    const now = this.deps.now();
    const { secret, overlapSeconds } = await this.deps.database.writeTransaction((trx) => this.channels.rotateSecret(trx, rule.id, channelId, input, now));
    await this.deps.audit.record({
      actor,
      action: 'alerts.channel.rotate-secret',
      target: channelId,
      outcome: 'rotated',
      detail: { ruleId: rule.id, overlapSeconds },
    });
    const channels = (await this.channels.of([rule.id])).get(rule.id) ?? [];
    return toRuleView(rule, channels, input.secret === undefined ? new Map([[channelId, secret]]) : undefined, now);
  }

  /** Open first, then acknowledged, then resolved; newest first within each. */
  async listIncidents(caller: Caller, query: IncidentsQuery): Promise<IncidentView[]> {
    const access = tenantAccessOf(caller);
    if (query.tenantId !== undefined) await this.scope.requireTenant(caller, query.tenantId);
    return this.incidentReads.list(access, query);
  }

  /** One page of incidents in {@link listIncidents}' order (see IncidentReads.page for the keyset). */
  async listIncidentsPage(caller: Caller, query: Omit<IncidentsQuery, 'limit'>, page: PageRequest): Promise<Page<IncidentView>> {
    const access = tenantAccessOf(caller);
    if (query.tenantId !== undefined) await this.scope.requireTenant(caller, query.tenantId);
    return this.incidentReads.page(access, query, page);
  }

  /** The incident with its timeline: each event with the deliveries of its notifications. */
  getIncident(caller: Caller, id: string): Promise<IncidentDetail> {
    return this.incidentReads.get(tenantAccessOf(caller), id);
  }

  async acknowledge(caller: Caller, id: string, input: AcknowledgeInput): Promise<IncidentDetail> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    await this.deps.incidents.acknowledge(id, actor, input.note, this.deps.now(), (i) => canSee(access, i.tenant_id));
    await this.deps.audit.record({ actor, action: 'alerts.incident.acknowledge', target: id, outcome: 'acknowledged' });
    return this.getIncident(caller, id);
  }

  async addNote(caller: Caller, id: string, note: string): Promise<IncidentDetail> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    await this.deps.incidents.addNote(id, actor, note, this.deps.now(), (i) => canSee(access, i.tenant_id));
    await this.deps.audit.record({ actor, action: 'alerts.incident.note', target: id, outcome: 'noted' });
    return this.getIncident(caller, id);
  }

  /** Unresolved incidents by status, for the navigation badge. */
  openCount(caller: Caller): Promise<{ open: number; acknowledged: number }> {
    return this.incidentReads.openCount(tenantAccessOf(caller));
  }

  /** The draft rule's current value and verdict per server, computed exactly as an evaluation would now. */
  preview(caller: Caller, input: PreviewInput): Promise<PreviewView> {
    return this.scope.preview(caller, input, this.deps.now());
  }

  /** Tenants and their servers, for choosing a rule's scope. */
  targets(caller: Caller): Promise<TargetsView> {
    return this.scope.targets(caller);
  }

  private async findRule(access: TenantAccess, id: string): Promise<Rule> {
    const rule = await this.db.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst();
    if (!rule || !canSee(access, rule.tenant_id)) throw new AppError('NOT_FOUND', `Alert rule not found: ${id}`);
    return rule;
  }
}
