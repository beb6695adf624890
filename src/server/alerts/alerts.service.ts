import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { AuditLog } from '../audit/audit-log';
import type { DatabaseHandle } from '../db/client';
import { type Page, type PageRequest, afterKey, decodeCursor, toPage } from '../db/keyset-page';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { OutboundPolicy } from '../net/outbound-policy';
import { type OutboundReach, reachOf } from '../net/outbound.config';
import { type TenantAccess, canSee, tenantNotFound } from '../tenants/tenant-access';
import { actorFor } from '../tenants/actor-redaction';
import { lockTenantForQuota, quotaExceeded } from '../tenants/tenant-quotas';
import type { TenantQuotas } from '../tenants/tenants.config';
import { judge } from './alert-condition';
import { METRICS, type MetricColumn, metricOfColumn } from './alert-metrics';
import type { AlertChannelTable, AlertRuleTable, IncidentEventTable, IncidentTable, NotificationOutboxTable } from './alerts.tables';
import { type ChannelSecrets, DEFAULT_ROTATION_OVERLAP_SECONDS } from './channel-secrets';
import { maskSlackUrl, shownChannelUrl } from './channel-urls';
import type {
  AcknowledgeInput,
  ChannelInput,
  ChannelView,
  CreateRuleInput,
  DeliveryView,
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
import type { IncidentRepository } from './incidents.repository';
import type { NotificationOutbox } from './notification-outbox';
import { aggregateWindows } from './sample-aggregation';

type Rule = Selectable<AlertRuleTable>;
type Channel = Selectable<AlertChannelTable>;
type Incident = Selectable<IncidentTable> & { notifications_sent?: number | string | null };

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/**
 * Alert rules and incidents for the REST and tRPC surfaces. Every method takes the caller's {@link TenantAccess}:
 * other tenants' objects answer "not found", exactly like missing ones. Mutations take the actor (`token:<name>` or
 * `operator:<email>`) and are written to the audit log. Channel URLs are checked against the outbound policy when
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
      now: () => number;
      /** Called when notifications were queued (a rule disabled with open incidents), to wake the delivery worker. */
      onQueued: () => void;
    },
  ) {}

  private get db(): Kysely<Database> {
    return this.deps.database.db;
  }

  async listRules(access: TenantAccess, query: RulesQuery): Promise<RuleView[]> {
    if (query.tenantId !== undefined) await this.requireTenant(access, query.tenantId);
    let q = this.db.selectFrom('alert_rules').selectAll();
    const tenantId = query.tenantId ?? access.restrictedTo;
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
    const rules = await q.orderBy('tenant_id').orderBy('name').orderBy('id').execute();
    const channels = await this.channelsOf(rules.map((r) => r.id));
    return rules.map((r) => toRuleView(r, channels.get(r.id) ?? []));
  }

  /** One page of {@link listRules}, in the same order (tenant, name, id). */
  async listRulesPage(access: TenantAccess, query: RulesQuery, page: PageRequest): Promise<Page<RuleView>> {
    if (query.tenantId !== undefined) await this.requireTenant(access, query.tenantId);
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
    const rules = await q.orderBy('tenant_id').orderBy('name').orderBy('id').limit(page.limit + 1).execute();
    const channels = await this.channelsOf(rules.slice(0, page.limit).map((r) => r.id));
    return toPage('alert-rules', rules, page.limit, (r) => [r.tenant_id, r.name, r.id], (r) => toRuleView(r, channels.get(r.id) ?? []));
  }

  async getRule(access: TenantAccess, id: string): Promise<RuleView> {
    const rule = await this.findRule(access, id);
    return toRuleView(rule, (await this.channelsOf([rule.id])).get(rule.id) ?? []);
  }

  async createRule(access: TenantAccess, input: CreateRuleInput, actor: string): Promise<RuleView> {
    await this.requireTenant(access, input.tenantId);
    await this.checkServer(input.tenantId, input.serverId);
    this.checkChannels(input.channels, reachOf(access.restrictedTo));
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
      const rules = await countOf(trx, 'alert_rules', rule.tenant_id);
      if (rules >= this.deps.quotas.alertRules) throw quotaExceeded('alert rules', this.deps.quotas.alertRules, 'TENANT_MAX_ALERT_RULES');
      await trx.insertInto('alert_rules').values(rule).execute();
      const replaced = await this.replaceChannels(trx, rule, [], input.channels, now, reachOf(access.restrictedTo));
      await this.checkChannelQuota(trx, rule.tenant_id, input.channels.length);
      return replaced;
    });
    await this.deps.audit.record({ actor, action: 'alerts.rule.create', target: rule.id, outcome: 'created', detail: { tenantId: rule.tenant_id, name: rule.name } });
    return toRuleView(rule, channels, generated);
  }

  /**
   * Changes the given fields. `channels` replaces the list: a channel given again with the same type and URL
   * keeps its id and secret (unless a new secret is given); removed channels' waiting deliveries are cancelled.
   * Disabling a rule resolves its open incidents at once (and notifies their resolution).
   */
  async updateRule(access: TenantAccess, id: string, patch: UpdateRuleInput, actor: string): Promise<RuleView> {
    const before = await this.findRule(access, id);
    if (patch.serverId !== undefined) await this.checkServer(before.tenant_id, patch.serverId);
    if (patch.channels) {
      // Channels kept as they are keep the reach they were created with; only new URLs are checked, with the caller's.
      const current = (await this.channelsOf([id])).get(id) ?? [];
      this.checkChannels(patch.channels, reachOf(access.restrictedTo), current);
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
      const replaced = patch.channels ? await this.replaceChannels(trx, next, current, patch.channels, now, reachOf(access.restrictedTo)) : { channels: current, generated: new Map<string, string>() };
      if (patch.channels && patch.channels.length > current.length) await this.checkChannelQuota(trx, next.tenant_id, patch.channels.length - current.length);
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
    await this.deps.audit.record({ actor, action: 'alerts.rule.update', target: id, outcome: 'updated', detail: { tenantId: next.tenant_id, fields: Object.keys(patch) } });
    return toRuleView(next, channels, generated);
  }

  /**
   * Deletes a rule and its channels. Its open incidents resolve (`rule-deleted`) without notifications, since
   * the channels go with the rule; deliveries still waiting are cancelled. Incident history stays.
   */
  async deleteRule(access: TenantAccess, id: string, actor: string): Promise<RuleView> {
    const rule = await this.findRule(access, id);
    const channels = (await this.channelsOf([id])).get(id) ?? [];
    const now = this.deps.now();
    await this.deps.database.writeTransaction(async (trx) => {
      const open = await trx.selectFrom('incidents').select(['id', 'last_value']).where('rule_id', '=', id).where('resolved_at', 'is', null).execute();
      await this.deps.incidents.resolve(
        open.map((i) => ({ incidentId: i.id, value: i.last_value, resolution: 'rule-deleted' as const })),
        now,
        actor,
        { notify: false, trx },
      );
      await this.deps.outbox.cancelForChannels(trx, channels.map((c) => c.id), 'The rule was deleted', now);
      await trx.deleteFrom('alert_channels').where('rule_id', '=', id).execute();
      await trx.deleteFrom('alert_rules').where('id', '=', id).execute();
    });
    await this.deps.audit.record({ actor, action: 'alerts.rule.delete', target: id, outcome: 'deleted', detail: { tenantId: rule.tenant_id, name: rule.name } });
    return toRuleView(rule, channels);
  }

  /**
   * Gives a webhook channel a new secret (the one given, or a generated one returned once as `generatedSecret`)
   * and keeps the current one for `overlapSeconds` (default 24 h): until then every delivery carries both
   * signatures, so a receiver can switch keys without missing a notification. A second rotation within the
   * overlap replaces the kept secret with the one being rotated out. Idempotent it is not: each call rotates.
   */
  async rotateChannelSecret(access: TenantAccess, ruleId: string, channelId: string, input: RotateSecretInput, actor: string): Promise<RuleView> {
    const rule = await this.findRule(access, ruleId);
    const now = this.deps.now();
    const overlapSeconds = input.overlapSeconds ?? DEFAULT_ROTATION_OVERLAP_SECONDS;
    const secret = input.secret ?? this.deps.secrets.generate();
    const sealed = this.deps.secrets.seal(secret, channelId, 'secret');
    await this.deps.database.writeTransaction(async (trx) => {
      const channel = await trx.selectFrom('alert_channels').selectAll().where('id', '=', channelId).where('rule_id', '=', rule.id).executeTakeFirst();
      if (!channel) throw new AppError('NOT_FOUND', `Channel not found on rule ${rule.id}: ${channelId}`);
      if (channel.type !== 'webhook') throw new AppError('INVALID_INPUT', 'Only webhook channels have a secret to rotate');
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
    });
    await this.deps.audit.record({ actor, action: 'alerts.channel.rotate-secret', target: channelId, outcome: 'rotated', detail: { ruleId: rule.id, overlapSeconds } });
    const channels = (await this.channelsOf([rule.id])).get(rule.id) ?? [];
    return toRuleView(rule, channels, input.secret === undefined ? new Map([[channelId, secret]]) : undefined, now);
  }

  /** Open first, then acknowledged, then resolved; newest first within each. */
  async listIncidents(access: TenantAccess, query: IncidentsQuery): Promise<IncidentView[]> {
    if (query.tenantId !== undefined) await this.requireTenant(access, query.tenantId);
    let q = this.incidentQuery();
    const tenantId = query.tenantId ?? access.restrictedTo;
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
    if (query.status) q = q.where('status', '=', query.status);
    const rows = await q
      .orderBy((eb) => eb.case().when('status', '=', 'open').then(0).when('status', '=', 'acknowledged').then(1).else(2).end())
      .orderBy('opened_at', 'desc')
      .orderBy('id')
      .limit(query.limit)
      .execute();
    return rows.map((i) => toIncidentView(i, access));
  }

  /**
   * One page of incidents in {@link listIncidents}' order (open, acknowledged, resolved; newest first within each;
   * then id). The keyset is (status rank, opened_at, id); with a status filter the rank is constant and the
   * `incidents_status` index serves the seek.
   */
  async listIncidentsPage(access: TenantAccess, query: Omit<IncidentsQuery, 'limit'>, page: PageRequest): Promise<Page<IncidentView>> {
    if (query.tenantId !== undefined) await this.requireTenant(access, query.tenantId);
    let q = this.incidentQuery();
    const tenantId = query.tenantId ?? access.restrictedTo;
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
    if (query.status) q = q.where('status', '=', query.status);
    const rank = sql<number>`(case when status = 'open' then 0 when status = 'acknowledged' then 1 else 2 end)`;
    if (page.cursor !== undefined) {
      const [r, o, i] = decodeCursor('incidents', page.cursor, ['number', 'number', 'string']);
      q = q.where(
        afterKey([
          { column: rank, direction: 'asc', value: r as number },
          { column: 'opened_at', direction: 'desc', value: o as number },
          { column: 'id', direction: 'asc', value: i as string },
        ]),
      );
    }
    const rows = await q.orderBy(rank).orderBy('opened_at', 'desc').orderBy('id').limit(page.limit + 1).execute();
    return toPage('incidents', rows, page.limit, (i) => [STATUS_RANK[i.status], Number(i.opened_at), i.id], (i) => toIncidentView(i, access));
  }

  /** The incident with its timeline: each event with the deliveries of its notifications. */
  async getIncident(access: TenantAccess, id: string): Promise<IncidentDetail> {
    const incident = await this.incidentQuery().where('id', '=', id).executeTakeFirst();
    if (!incident || !canSee(access, incident.tenant_id)) throw new AppError('NOT_FOUND', `Incident not found: ${id}`);
    const events = await this.db.selectFrom('incident_events').selectAll().where('incident_id', '=', id).orderBy('at').orderBy('id').execute();
    const deliveries = await this.db.selectFrom('notification_outbox').selectAll().where('incident_id', '=', id).orderBy('created_at').orderBy('id').execute();
    const byEvent = new Map<string, DeliveryView[]>();
    for (const d of deliveries) byEvent.set(d.event_id, [...(byEvent.get(d.event_id) ?? []), toDeliveryView(d)]);
    return { ...toIncidentView(incident, access), timeline: events.map((e) => toTimelineEntry(e, byEvent.get(e.id) ?? [], access)) };
  }

  async acknowledge(access: TenantAccess, id: string, input: AcknowledgeInput, actor: string): Promise<IncidentDetail> {
    await this.deps.incidents.acknowledge(id, actor, input.note, this.deps.now(), (i) => canSee(access, i.tenant_id));
    await this.deps.audit.record({ actor, action: 'alerts.incident.acknowledge', target: id, outcome: 'acknowledged' });
    return this.getIncident(access, id);
  }

  async addNote(access: TenantAccess, id: string, note: string, actor: string): Promise<IncidentDetail> {
    await this.deps.incidents.addNote(id, actor, note, this.deps.now(), (i) => canSee(access, i.tenant_id));
    await this.deps.audit.record({ actor, action: 'alerts.incident.note', target: id, outcome: 'noted' });
    return this.getIncident(access, id);
  }

  /** Unresolved incidents by status, for the navigation badge. */
  async openCount(access: TenantAccess): Promise<{ open: number; acknowledged: number }> {
    let q = this.db
      .selectFrom('incidents')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('resolved_at', 'is', null);
    if (access.restrictedTo !== null) q = q.where('tenant_id', '=', access.restrictedTo);
    const rows = await q.groupBy('status').execute();
    const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    return { open: count('open'), acknowledged: count('acknowledged') };
  }

  /** The draft rule's current value and verdict per server, computed exactly as an evaluation would now. */
  async preview(access: TenantAccess, input: PreviewInput): Promise<PreviewView> {
    await this.requireTenant(access, input.tenantId);
    await this.checkServer(input.tenantId, input.serverId);
    const now = this.deps.now();
    const column: MetricColumn = METRICS[input.metric].column;
    let scope = this.db.selectFrom('inference_servers').select(['id', 'name']).where('tenant_id', '=', input.tenantId).where('enabled', '=', 1);
    if (input.serverId !== null) scope = scope.where('id', '=', input.serverId);
    const windows = (await scope.execute()).map((s) => ({ ruleId: 'draft', serverId: s.id, serverName: s.name, column, windowMinutes: input.windowMinutes, aggregation: input.aggregation }));
    const { samples, values } = await aggregateWindows(this.db, windows, now, { countSamples: true });
    const servers = windows
      .map((w, i) => {
        const aggregated = values[i] as number;
        const verdict = judge(input, Number.isNaN(aggregated) ? null : aggregated);
        const value = verdict.kind === 'keep' ? null : verdict.value;
        const outcome = Number.isNaN(aggregated) ? ('no-data' as const) : verdict.kind === 'breaching' ? ('breaching' as const) : ('ok' as const);
        return { serverId: w.serverId, serverName: w.serverName, samples: samples?.[i] ?? 0, value, outcome, wouldAlert: verdict.kind === 'breaching' };
      })
      .sort((a, b) => a.serverName.localeCompare(b.serverName));
    return { windowStart: new Date(now - input.windowMinutes * 60_000).toISOString(), windowEnd: new Date(now).toISOString(), servers };
  }

  /** Tenants and their servers, for choosing a rule's scope. */
  async targets(access: TenantAccess): Promise<TargetsView> {
    let tq = this.db.selectFrom('tenants').select(['id', 'name']);
    if (access.restrictedTo !== null) tq = tq.where('id', '=', access.restrictedTo);
    const tenants = await tq.orderBy('name').execute();
    let sq = this.db.selectFrom('inference_servers').select(['id', 'name', 'tenant_id', 'enabled']);
    if (access.restrictedTo !== null) sq = sq.where('tenant_id', '=', access.restrictedTo);
    const servers = await sq.orderBy('name').execute();
    return tenants.map((t) => ({
      tenantId: t.id,
      tenantName: t.name,
      servers: servers.filter((s) => s.tenant_id === t.id).map((s) => ({ id: s.id, name: s.name, enabled: s.enabled === 1 })),
    }));
  }

  private incidentQuery() {
    return this.db
      .selectFrom('incidents')
      .selectAll('incidents')
      .select((eb) =>
        eb
          .selectFrom('notification_outbox as o')
          .select((o) => o.fn.countAll<number>().as('n'))
          .whereRef('o.incident_id', '=', 'incidents.id')
          .where('o.status', '=', 'delivered')
          .as('notifications_sent'),
      );
  }

  private async findRule(access: TenantAccess, id: string): Promise<Rule> {
    const rule = await this.db.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst();
    if (!rule || !canSee(access, rule.tenant_id)) throw new AppError('NOT_FOUND', `Alert rule not found: ${id}`);
    return rule;
  }

  private async requireTenant(access: TenantAccess, tenantId: string): Promise<void> {
    const tenant = canSee(access, tenantId)
      ? await this.db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst()
      : undefined;
    if (!tenant) throw tenantNotFound(tenantId);
  }

  private async checkServer(tenantId: string, serverId: string | null): Promise<void> {
    if (serverId === null) return;
    const server = await this.db.selectFrom('inference_servers').select('tenant_id').where('id', '=', serverId).executeTakeFirst();
    if (server?.tenant_id !== tenantId) {
      throw new AppError('INVALID_INPUT', `Invalid request body: serverId: ${serverId} is not an inference server of tenant ${tenantId}`, {
        issues: [{ path: 'serverId', message: `not an inference server of tenant ${tenantId}` }],
      });
    }
  }

  /** New URLs are checked with the reach they get; a channel kept as it is (same type and URL) keeps the reach it had. */
  private checkChannels(channels: ChannelInput[], reach: OutboundReach, current: Channel[] = []): void {
    const scope = this.deps.policy.scope('webhook', reach);
    channels.forEach((c, i) => {
      if (current.some((k) => isSameChannel(k, c))) return;
      scope.parseUrl(c.url, `channels.${i}.url`);
    });
  }

  private async channelsOf(ruleIds: string[]): Promise<Map<string, Channel[]>> {
    const byRule = new Map<string, Channel[]>();
    for (let i = 0; i < ruleIds.length; i += 500) {
      const rows = await this.db.selectFrom('alert_channels').selectAll().where('rule_id', 'in', ruleIds.slice(i, i + 500)).orderBy('position').execute();
      for (const row of rows) byRule.set(row.rule_id, [...(byRule.get(row.rule_id) ?? []), row]);
    }
    return byRule;
  }

  /** QUOTA_EXCEEDED when the tenant now has more channels than TENANT_MAX_NOTIFICATION_CHANNELS (rolls back the write). */
  private async checkChannelQuota(trx: Kysely<Database>, tenantId: string, added: number): Promise<void> {
    if (added <= 0) return;
    const quota = this.deps.quotas.notificationChannels;
    if ((await countOf(trx, 'alert_channels', tenantId)) > quota) throw quotaExceeded('notification channels', quota, 'TENANT_MAX_NOTIFICATION_CHANNELS');
  }

  /**
   * A channel given again with the same type and URL — or, for Slack, the masked URL its view shows — keeps its
   * id, secret and reach. Secrets are sealed before they are written (see ChannelSecrets). A channel's URL never
   * changes in place (a new URL is a new channel), so its reach is the one it was created with.
   */
  private async replaceChannels(trx: Kysely<Database>, rule: Rule, current: Channel[], wanted: ChannelInput[], now: number, reach: OutboundReach) {
    const generated = new Map<string, string>();
    const unmatched = [...current];
    const channels: Channel[] = [];
    for (const [position, input] of wanted.entries()) {
      const index = unmatched.findIndex((c) => isSameChannel(c, input));
      const kept = index >= 0 ? unmatched.splice(index, 1)[0] : undefined;
      const id = kept?.id ?? randomUUID();
      const path = `channels.${position}.secret`;
      let fresh: string | null = input.type === 'webhook' ? (input.secret ?? null) : null;
      if (input.type === 'webhook' && fresh === null && kept?.secret_enc == null && kept?.secret == null) {
        // Every webhook is signed: a channel without a secret gets one, shown once in this answer.
        fresh = this.deps.secrets.generate();
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
        position,
        created_at: kept?.created_at ?? now,
      };
      if (kept) {
        const { secret, secret_enc, previous_secret_enc, previous_secret_expires_at } = channel;
        await trx.updateTable('alert_channels').set({ secret, secret_enc, previous_secret_enc, previous_secret_expires_at, position }).where('id', '=', kept.id).execute();
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
}

function toChannelView(c: Channel, generated?: Map<string, string>, now = Date.now()): ChannelView {
  const secret = generated?.get(c.id);
  const overlap = c.previous_secret_enc !== null && c.previous_secret_expires_at !== null && Number(c.previous_secret_expires_at) > now;
  return {
    id: c.id,
    type: c.type,
    url: shownChannelUrl(c.type, c.url),
    hasSecret: c.secret_enc !== null || c.secret !== null,
    previousSecretExpiresAt: overlap ? iso(c.previous_secret_expires_at) : null,
    ...(secret ? { generatedSecret: secret } : {}),
  };
}

export function toRuleView(r: Rule, channels: Channel[], generated?: Map<string, string>, now?: number): RuleView {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    metric: metricOfColumn(r.metric) ?? 'up',
    aggregation: r.aggregation,
    operator: r.operator,
    threshold: Number(r.threshold),
    windowMinutes: Number(r.window_minutes),
    serverId: r.server_id,
    severity: r.severity,
    noData: r.no_data,
    cooldownMinutes: Number(r.cooldown_minutes),
    enabled: r.enabled === 1,
    channels: channels.map((c) => toChannelView(c, generated, now)),
    createdAt: new Date(Number(r.created_at)).toISOString(),
    updatedAt: new Date(Number(r.updated_at)).toISOString(),
  };
}

const STATUS_RANK: Record<Incident['status'], number> = { open: 0, acknowledged: 1, resolved: 2 };

async function countOf(trx: Kysely<Database>, table: 'alert_rules' | 'alert_channels', tenantId: string): Promise<number> {
  const { n } = await trx.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return Number(n);
}

/** Who acknowledged (and who wrote timeline entries) is shown to a tenant-restricted caller as a kind only. */
function toIncidentView(i: Incident, access: TenantAccess): IncidentView {
  return {
    id: i.id,
    tenantId: i.tenant_id,
    ruleId: i.rule_id,
    ruleName: i.rule_name,
    serverId: i.server_id,
    serverName: i.server_name,
    metric: metricOfColumn(i.metric) ?? 'up',
    aggregation: i.aggregation,
    operator: i.operator,
    threshold: Number(i.threshold),
    windowMinutes: Number(i.window_minutes),
    severity: i.severity,
    status: i.status,
    value: i.value === null ? null : Number(i.value),
    lastValue: i.last_value === null ? null : Number(i.last_value),
    openedAt: new Date(Number(i.opened_at)).toISOString(),
    lastEvaluatedAt: new Date(Number(i.last_evaluated_at)).toISOString(),
    acknowledgedAt: iso(i.acknowledged_at),
    acknowledgedBy: actorFor(access, i.acknowledged_by),
    resolvedAt: iso(i.resolved_at),
    resolution: i.resolution,
    notificationsSent: Number(i.notifications_sent ?? 0),
  };
}

function toDeliveryView(d: Selectable<NotificationOutboxTable>): DeliveryView {
  const waiting = d.status === 'queued';
  return {
    id: d.id,
    channelId: d.channel_id,
    channelType: d.channel_type,
    url: shownChannelUrl(d.channel_type, d.url),
    status: d.status,
    attempts: Number(d.attempts),
    lastStatusCode: d.last_status_code === null ? null : Number(d.last_status_code),
    lastError: d.last_error,
    nextAttemptAt: waiting ? iso(d.next_attempt_at) : null,
    deliveredAt: iso(d.delivered_at),
  };
}

function toTimelineEntry(e: Selectable<IncidentEventTable>, deliveries: DeliveryView[], access: TenantAccess) {
  return { id: e.id, at: new Date(Number(e.at)).toISOString(), type: e.type, actor: actorFor(access, e.actor), value: e.value === null ? null : Number(e.value), note: e.note, deliveries };
}

/** A channel given again with its type and URL — or, for Slack, the masked URL its view shows — is the same channel. */
function isSameChannel(stored: Channel, given: ChannelInput): boolean {
  return stored.type === given.type && (stored.url === given.url || (stored.type === 'slack' && maskSlackUrl(stored.url) === given.url));
}
