import 'server-only';
import type { Selectable } from 'kysely';
import type { AlertsPort, RunContext } from '../automations/definition';
import type { DatabaseHandle } from '../db/client';
import { AppError } from '../errors';
import type { InferenceRepository } from '../inference/inference.repository';
import { type Verdict, compare, judge } from './alert-condition';
import type { AlertRuleTable } from '../db/tables/alerts.tables';
import type { IncidentRepository, IncidentRow, OpenRequest, ResolveRequest } from './incidents.repository';
import type { NotificationOutbox } from './notification-outbox';
import { logTransitions, logUnevaluated } from './evaluation-run-log';
import { type WindowQuery, aggregateWindows } from './sample-aggregation';

type Rule = Selectable<AlertRuleTable>;

/** Who the timeline names for changes made by evaluation. */
export const EVALUATION_ACTOR = 'system:alert-evaluation';

/** An enabled server, as evaluation needs it. */
export interface ServerScope {
  id: string;
  tenant_id: string;
  name: string;
}

/**
 * Every enabled rule against each enabled server in its scope: one server, or every enabled server of its tenant.
 * A rule whose one server is disabled or gone has no windows (its open incidents resolve as out of scope).
 */
export function ruleWindows(rules: Rule[], servers: ServerScope[]): WindowQuery[] {
  const byTenant = new Map<string, ServerScope[]>();
  for (const s of servers) {
    const ofTenant = byTenant.get(s.tenant_id);
    if (ofTenant) ofTenant.push(s);
    else byTenant.set(s.tenant_id, [s]);
  }
  const queries: WindowQuery[] = [];
  for (const rule of rules) {
    for (const server of byTenant.get(rule.tenant_id) ?? []) {
      if (rule.server_id !== null && rule.server_id !== server.id) continue;
      queries.push({
        ruleId: rule.id,
        serverId: server.id,
        serverName: server.name,
        column: rule.metric,
        windowMinutes: rule.window_minutes,
        aggregation: rule.aggregation,
      });
    }
  }
  return queries;
}

function sameServers(a: ServerScope[], b: ServerScope[]): boolean {
  return a.length === b.length && a.every((s, i) => s.id === b[i]?.id && s.tenant_id === b[i]?.tenant_id && s.name === b[i]?.name);
}

/** What one evaluation decided, before any write. Pure data, so the decision step is easy to follow and test. */
export interface EvaluationPlan {
  open: OpenRequest[];
  refresh: Array<{ incidentId: string; value: number | null }>;
  renotify: string[];
  resolve: ResolveRequest[];
}

/**
 * Decides every transition of one evaluation from the rules, the aggregated windows and the open incidents:
 * breaching without an open incident → open; breaching with one → refresh its value and re-notify when the
 * cooldown has passed and nobody acknowledged it; not breaching (or no data under `ok`) → resolve; an open
 * incident whose (rule, server) was not evaluated (rule disabled or deleted, server disabled or removed, scope
 * changed) → resolve as such. `keep` (no data) leaves the incident as it is.
 */
export function planEvaluation(
  rules: Map<string, Rule>,
  verdicts: Array<{ ruleId: string; serverId: string; serverName: string; verdict: Verdict }>,
  open: IncidentRow[],
  ruleExists: (ruleId: string) => boolean,
  at: number,
): EvaluationPlan {
  const plan: EvaluationPlan = { open: [], refresh: [], renotify: [], resolve: [] };
  const openByRule = new Map<string, Map<string, IncidentRow>>();
  for (const i of open) openByRule.set(i.rule_id, (openByRule.get(i.rule_id) ?? new Map()).set(i.server_id, i));
  const evaluated = new Set<IncidentRow>();
  for (const { ruleId, serverId, serverName, verdict } of verdicts) {
    const rule = rules.get(ruleId);
    if (!rule) continue;
    const incident = openByRule.get(ruleId)?.get(serverId);
    if (incident) evaluated.add(incident);
    switch (verdict.kind) {
      case 'keep':
        break;
      case 'breaching':
        if (!incident) {
          plan.open.push({ rule, serverId, serverName, value: verdict.value });
        } else {
          plan.refresh.push({ incidentId: incident.id, value: verdict.value });
          const cooldownMs = rule.cooldown_minutes * 60_000;
          if (incident.status === 'open' && cooldownMs > 0 && at - Number(incident.last_notified_at) >= cooldownMs) plan.renotify.push(incident.id);
        }
        break;
      case 'ok':
        if (incident) plan.resolve.push({ incidentId: incident.id, value: verdict.value, resolution: verdict.noData ? 'no-data' : 'cleared' });
        break;
      default: {
        const never: never = verdict;
        throw new Error(`unknown verdict ${String(never)}`);
      }
    }
  }
  for (const incident of open) {
    if (evaluated.has(incident)) continue;
    const resolution = rules.has(incident.rule_id) ? 'out-of-scope' : ruleExists(incident.rule_id) ? 'rule-disabled' : 'rule-deleted';
    plan.resolve.push({ incidentId: incident.id, value: incident.last_value, resolution });
  }
  return plan;
}

/**
 * Evaluates every enabled rule of every tenant in one pass whose reads do not grow in number with rules or
 * servers: the rules (kept between runs while unchanged) and the servers, one set-based aggregation of all
 * (rule, server) windows, the open incidents; then the transitions, batched. Safe to run concurrently with itself
 * (on this or another instance): every transition is a conditional write (see {@link IncidentRepository}), so two evaluations of the same data
 * open one incident and queue one notification per channel between them.
 */
export class AlertEvaluationService implements AlertsPort {
  /** What the last run read and derived, reused while the rules' revision and the enabled servers are the same. */
  private cache: { revision: number; rules: Rule[]; byId: Map<string, Rule>; servers: ServerScope[]; windows: WindowQuery[] } | null = null;

  constructor(
    private readonly deps: {
      database: Pick<DatabaseHandle, 'db' | 'writeTransaction'>;
      incidents: IncidentRepository;
      outbox: NotificationOutbox;
      /** The inference domain's servers, read through its repository (see docs/architecture.md). */
      servers: Pick<InferenceRepository, 'enabledServers'>;
      /** Called when notifications were queued, to wake the delivery worker. */
      onQueued: () => void;
      /** Resolved incidents older than `ms` are deleted, at most `batch` per run. */
      retention: { ms: number; batch: number };
    },
  ) {}

  async evaluateAll(ctx: RunContext): Promise<{ firedCount: number; processedTenants: number }> {
    const at = ctx.now();
    const db = this.deps.database.db;
    const { rules, byId, windows } = await this.scope();
    // The rules are judged together (one aggregation, batched writes): progress moves when they all are.
    ctx.progress(0, rules.length, 'rules');
    const { values } = await aggregateWindows(db, windows, at);
    const open = await this.deps.incidents.listOpen();
    this.checkAborted(ctx);
    logUnevaluated(ctx, rules, windows, values);

    // Only what can change something goes to the plan: a window that is fine and has no open incident does not.
    const withIncident = new Map<string, Set<string>>();
    for (const i of open) withIncident.set(i.rule_id, (withIncident.get(i.rule_id) ?? new Set()).add(i.server_id));
    const verdicts: Parameters<typeof planEvaluation>[1] = [];
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as WindowQuery;
      const rule = byId.get(w.ruleId) as Rule;
      const value = values[i] as number;
      const hasIncident = withIncident.get(w.ruleId)?.has(w.serverId) === true;
      // The common case, decided without building a verdict: data, not breaching, nothing open.
      if (!hasIncident && !Number.isNaN(value) && !compare(value, rule.operator, Number(rule.threshold))) continue;
      const verdict = judge({ operator: rule.operator, threshold: Number(rule.threshold), noData: rule.no_data }, Number.isNaN(value) ? null : value);
      if (verdict.kind === 'ok' && !hasIncident) continue;
      verdicts.push({ ruleId: w.ruleId, serverId: w.serverId, serverName: w.serverName, verdict });
    }
    const orphaned = [...new Set(open.filter((i) => !byId.has(i.rule_id)).map((i) => i.rule_id))];
    const existing = orphaned.length
      ? new Set((await db.selectFrom('alert_rules').select('id').where('id', 'in', orphaned).execute()).map((r) => r.id))
      : new Set<string>();
    const plan = planEvaluation(byId, verdicts, open, (id) => existing.has(id), at);

    const { incidents } = this.deps;
    const opened = await incidents.open(plan.open, at, EVALUATION_ACTOR);
    this.checkAborted(ctx);
    await incidents.refresh(plan.refresh, at);
    const renotified = await incidents.renotify(plan.renotify, at, EVALUATION_ACTOR);
    const resolved = await incidents.resolve(plan.resolve, at, EVALUATION_ACTOR, { notify: true });
    if (opened.queued + renotified.queued + resolved.queued > 0) this.deps.onQueued();
    logTransitions(ctx, opened.incidents, resolved.incidents);
    ctx.progress(rules.length, rules.length, 'rules');
    await incidents.pruneResolved(at - this.deps.retention.ms, this.deps.retention.batch);

    return {
      firedCount: new Set(opened.incidents.map((i) => i.rule_id)).size,
      processedTenants: new Set(rules.map((r) => r.tenant_id)).size,
    };
  }

  /**
   * The enabled rules and servers, and the windows they make. The rules are read again only when their revision
   * (bumped by database triggers on any change, from any writer) moved since the last read; the revision is read
   * first, so a change that lands between the two reads makes the next run read again rather than keep a stale
   * list. The servers are read every run (they are few); the windows are rebuilt when either changed.
   */
  private async scope(): Promise<{ rules: Rule[]; byId: Map<string, Rule>; windows: WindowQuery[] }> {
    const db = this.deps.database.db;
    const row = await db.selectFrom('revisions').select('value').where('name', '=', 'alert_rules').executeTakeFirst();
    // Without a revision row (removed by hand) nothing is kept: every run reads everything.
    const revision = row === undefined ? null : Number(row.value);
    const kept = revision !== null && this.cache?.revision === revision ? this.cache : null;
    const rules = kept?.rules ?? (await db.selectFrom('alert_rules').selectAll().where('enabled', '=', 1).execute());
    const byId = kept?.byId ?? new Map(rules.map((r) => [r.id, r]));
    const servers = await this.deps.servers.enabledServers();
    const windows = kept && sameServers(kept.servers, servers) ? kept.windows : ruleWindows(rules, servers);
    this.cache = revision === null ? null : { revision, rules, byId, servers, windows };
    return { rules, byId, windows };
  }

  async pendingDeliveries(): Promise<number> {
    return this.deps.outbox.pending();
  }

  private checkAborted(ctx: RunContext): void {
    if (ctx.signal.aborted) throw new AppError('RUN_FAILED', 'Alert evaluation aborted (run deadline passed or lock lost)');
  }
}
