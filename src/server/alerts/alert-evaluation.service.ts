import type { Selectable } from 'kysely';
import type { AlertsPort, RunContext } from '../automations/definition';
import type { DatabaseHandle } from '../db/client';
import { AppError } from '../errors';
import { type Verdict, judge } from './alert-condition';
import type { AlertRuleTable } from './alerts.tables';
import type { IncidentRepository, IncidentRow, OpenRequest, ResolveRequest } from './incidents.repository';
import type { NotificationOutbox } from './notification-outbox';
import { aggregateEnabledRules } from './sample-aggregation';

type Rule = Selectable<AlertRuleTable>;

/** Who the timeline names for changes made by evaluation. */
export const EVALUATION_ACTOR = 'system:alert-evaluation';

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
  const openByPair = new Map(open.map((i) => [`${i.rule_id}\u0000${i.server_id}`, i]));
  const evaluated = new Set<string>();
  for (const { ruleId, serverId, serverName, verdict } of verdicts) {
    const rule = rules.get(ruleId);
    if (!rule) continue;
    const key = `${ruleId}\u0000${serverId}`;
    evaluated.add(key);
    const incident = openByPair.get(key);
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
    if (evaluated.has(`${incident.rule_id}\u0000${incident.server_id}`)) continue;
    const resolution = rules.has(incident.rule_id) ? 'out-of-scope' : ruleExists(incident.rule_id) ? 'rule-disabled' : 'rule-deleted';
    plan.resolve.push({ incidentId: incident.id, value: incident.last_value, resolution });
  }
  return plan;
}

/**
 * Evaluates every enabled rule of every tenant in one pass whose reads do not grow in number with rules or
 * servers: one query for the rules, one set-based aggregation of all (rule, server) windows, one for the open
 * incidents; then the transitions, batched. Safe to run concurrently with itself (on this or another instance):
 * every transition is a conditional write (see {@link IncidentRepository}), so two evaluations of the same data
 * open one incident and queue one notification per channel between them.
 */
export class AlertEvaluationService implements AlertsPort {
  constructor(
    private readonly deps: {
      database: Pick<DatabaseHandle, 'db' | 'writeTransaction'>;
      incidents: IncidentRepository;
      outbox: NotificationOutbox;
      /** Called when notifications were queued, to wake the delivery worker. */
      onQueued: () => void;
    },
  ) {}

  async evaluateAll(ctx: RunContext): Promise<{ firedCount: number; processedTenants: number }> {
    const at = ctx.now();
    const db = this.deps.database.db;
    const rules = await db.selectFrom('alert_rules').selectAll().where('enabled', '=', 1).execute();
    const aggregates = await aggregateEnabledRules(db, at);
    const open = await this.deps.incidents.listOpen();
    this.checkAborted(ctx);

    const byId = new Map(rules.map((r) => [r.id, r]));
    const verdicts = aggregates.flatMap((a) => {
      const rule = byId.get(a.ruleId);
      if (!rule) return [];
      const verdict = judge({ aggregation: rule.aggregation, operator: rule.operator, threshold: Number(rule.threshold), noData: rule.no_data }, a);
      return [{ ruleId: a.ruleId, serverId: a.serverId, serverName: a.serverName, verdict }];
    });
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

    return {
      firedCount: new Set(opened.incidents.map((i) => i.rule_id)).size,
      processedTenants: new Set(rules.map((r) => r.tenant_id)).size,
    };
  }

  async pendingDeliveries(): Promise<number> {
    return this.deps.outbox.pending();
  }

  private checkAborted(ctx: RunContext): void {
    if (ctx.signal.aborted) throw new AppError('RUN_FAILED', 'Alert evaluation aborted (run deadline passed or lock lost)');
  }
}
