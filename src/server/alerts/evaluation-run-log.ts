import 'server-only';
import type { Selectable } from 'kysely';
import type { RunContext } from '../automations/definition';
import type { AlertRuleTable } from '../db/tables/alerts.tables';
import type { IncidentRow } from './incidents.repository';
import type { WindowQuery } from './sample-aggregation';

type Rule = Selectable<AlertRuleTable>;
type Log = Pick<RunContext, 'log'>;

/**
 * The rules one evaluation could not judge, told to the run's log: a rule with no enabled server in its scope, and
 * a rule none of whose windows had a sample (its `noData` setting then decides what happens to an open incident).
 */
export function logUnevaluated(ctx: Log, rules: readonly Rule[], windows: readonly WindowQuery[], values: ArrayLike<number>): void {
  const perRule = new Map<string, { windows: number; empty: number }>();
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i] as WindowQuery;
    const counts = perRule.get(w.ruleId) ?? { windows: 0, empty: 0 };
    counts.windows++;
    if (Number.isNaN(values[i] as number)) counts.empty++;
    perRule.set(w.ruleId, counts);
  }
  for (const rule of rules) {
    const counts = perRule.get(rule.id);
    const fields = { rule: rule.name, ruleId: rule.id, tenantId: rule.tenant_id };
    if (!counts) ctx.log('warn', `Rule ${rule.name} not evaluated: no enabled server in its scope`, { ...fields, reason: 'no-server' });
    else if (counts.empty === counts.windows) {
      const setting = `its no-data setting "${rule.no_data}" applies`;
      ctx.log(
        'warn',
        `Rule ${rule.name} not evaluated on data: no samples in its ${rule.window_minutes}-minute window on ${counts.windows} server(s); ${setting}`,
        {
          ...fields,
          reason: 'no-data',
          noData: rule.no_data,
          servers: counts.windows,
        },
      );
    }
  }
}

/** Each incident this evaluation opened or resolved (only those its own conditional writes changed). */
export function logTransitions(ctx: Log, opened: readonly IncidentRow[], resolved: readonly IncidentRow[]): void {
  for (const i of opened) {
    ctx.log('info', `Opened incident for rule ${i.rule_name} on ${i.server_name} (value ${i.value ?? 'none'})`, {
      incidentId: i.id,
      rule: i.rule_name,
      server: i.server_name,
      value: i.value,
      tenantId: i.tenant_id,
    });
  }
  for (const i of resolved) {
    ctx.log('info', `Resolved incident for rule ${i.rule_name} on ${i.server_name} (${i.resolution ?? 'resolved'})`, {
      incidentId: i.id,
      rule: i.rule_name,
      server: i.server_name,
      resolution: i.resolution,
      tenantId: i.tenant_id,
    });
  }
}
