import type { Selectable } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Verdict } from './alert-condition';
import { planEvaluation, ruleWindows } from './alert-evaluation.service';
import type { AlertRuleTable } from '../db/tables/alerts.tables';
import type { IncidentRow } from './incidents.repository';

const AT = 1_000_000_000_000;
const MINUTE = 60_000;

function rule(id: string, cooldownMinutes = 10): Selectable<AlertRuleTable> {
  return {
    id,
    tenant_id: 't',
    name: id,
    metric: 'latency_ms',
    aggregation: 'avg',
    operator: '>',
    threshold: 1,
    window_minutes: 5,
    server_id: null,
    severity: 'warning',
    no_data: 'keep',
    cooldown_minutes: cooldownMinutes,
    enabled: 1,
    created_at: 0,
    updated_at: 0,
  };
}

function incident(ruleId: string, serverId: string, overrides: Partial<IncidentRow> = {}): IncidentRow {
  return {
    id: `${ruleId}/${serverId}`,
    tenant_id: 't',
    rule_id: ruleId,
    server_id: serverId,
    rule_name: ruleId,
    server_name: serverId,
    metric: 'latency_ms',
    aggregation: 'avg',
    operator: '>',
    threshold: 1,
    window_minutes: 5,
    severity: 'warning',
    status: 'open',
    value: 5,
    last_value: 5,
    opened_at: AT - 60 * MINUTE,
    last_evaluated_at: AT - MINUTE,
    acknowledged_at: null,
    acknowledged_by: null,
    resolved_at: null,
    resolution: null,
    last_notified_at: AT - 60 * MINUTE,
    renotify_count: 0,
    ...overrides,
  };
}

const judged = (ruleId: string, serverId: string, verdict: Verdict) => ({ ruleId, serverId, serverName: serverId, verdict });

describe('planEvaluation', () => {
  it('opens for a breach without an incident; refreshes and re-notifies one whose cooldown passed; resolves one that cleared', () => {
    const rules = new Map([['r', rule('r')]]);
    const plan = planEvaluation(
      rules,
      [
        judged('r', 'new', { kind: 'breaching', value: 7 }),
        judged('r', 'old', { kind: 'breaching', value: 8 }),
        judged('r', 'fine', { kind: 'ok', value: 0, noData: false }),
      ],
      [incident('r', 'old'), incident('r', 'fine')],
      () => true,
      AT,
    );
    expect(plan.open.map((o) => [o.serverId, o.value])).toEqual([['new', 7]]);
    expect(plan.refresh).toEqual([{ incidentId: 'r/old', value: 8 }]);
    expect(plan.renotify).toEqual(['r/old']);
    expect(plan.resolve).toEqual([{ incidentId: 'r/fine', value: 0, resolution: 'cleared' }]);
  });

  it('does not re-notify before the cooldown, with cooldown 0, or once acknowledged', () => {
    const rules = new Map([
      ['soon', rule('soon', 90)],
      ['never', rule('never', 0)],
      ['acked', rule('acked', 1)],
    ]);
    const plan = planEvaluation(
      rules,
      ['soon', 'never', 'acked'].map((r) => judged(r, 's', { kind: 'breaching', value: 9 })),
      [incident('soon', 's'), incident('never', 's'), incident('acked', 's', { status: 'acknowledged' })],
      () => true,
      AT,
    );
    expect(plan.renotify).toEqual([]);
    expect(plan.refresh).toHaveLength(3);
    expect(plan.open).toEqual([]);
  });

  it('keep changes nothing; no data under "ok" resolves as no-data', () => {
    const rules = new Map([['r', rule('r')]]);
    const plan = planEvaluation(
      rules,
      [judged('r', 'a', { kind: 'keep' }), judged('r', 'b', { kind: 'ok', value: null, noData: true })],
      [incident('r', 'a'), incident('r', 'b')],
      () => true,
      AT,
    );
    expect(plan).toEqual({ open: [], refresh: [], renotify: [], resolve: [{ incidentId: 'r/b', value: null, resolution: 'no-data' }] });
  });

  it('resolves incidents that were not evaluated: out of scope, rule disabled, rule deleted', () => {
    const rules = new Map([['live', rule('live')]]);
    const plan = planEvaluation(rules, [], [incident('live', 'gone'), incident('disabled', 's'), incident('deleted', 's')], (id) => id === 'disabled', AT);
    expect(plan.resolve.map((r) => [r.incidentId, r.resolution, r.value])).toEqual([
      ['live/gone', 'out-of-scope', 5],
      ['disabled/s', 'rule-disabled', 5],
      ['deleted/s', 'rule-deleted', 5],
    ]);
  });
});

describe('ruleWindows', () => {
  it('pairs a tenant-wide rule with every enabled server of its tenant and a one-server rule with that server only', () => {
    const servers = [
      { id: 'a', tenant_id: 't', name: 'gpu-a' },
      { id: 'b', tenant_id: 't', name: 'gpu-b' },
      { id: 'x', tenant_id: 'other', name: 'gpu-x' },
    ];
    const windows = ruleWindows(
      [rule('all'), { ...rule('one'), server_id: 'b', aggregation: 'max', window_minutes: 15 }, { ...rule('gone'), server_id: 'disabled' }],
      servers,
    );
    expect(windows).toEqual([
      { ruleId: 'all', serverId: 'a', serverName: 'gpu-a', column: 'latency_ms', windowMinutes: 5, aggregation: 'avg' },
      { ruleId: 'all', serverId: 'b', serverName: 'gpu-b', column: 'latency_ms', windowMinutes: 5, aggregation: 'avg' },
      { ruleId: 'one', serverId: 'b', serverName: 'gpu-b', column: 'latency_ms', windowMinutes: 15, aggregation: 'max' },
    ]);
  });
});
