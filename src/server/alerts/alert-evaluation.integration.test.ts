import {
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  sql,
} from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOPOLOGIES, type TestContainer, testContainer } from '../testing/container';
import { ALL_TENANTS } from '../tenants/tenant-access';
import { InferenceRepository } from '../inference/inference.repository';
import { AlertEvaluationService } from './alert-evaluation.service';
import { type CreateRuleInput, createRuleInputSchema } from './alerts.schemas';
import { insertSample, insertServer, insertTenant, runContext } from '../testing/alerts';
import { IncidentRepository } from './incidents.repository';
import { NotificationOutbox } from './notification-outbox';
import { AGGREGATIONS, type MetricColumn } from '../../shared/alert-metrics';
import { type WindowQuery, aggregateWindows } from './sample-aggregation';
import { readerOf, testCaller } from '../testing/callers';

const MINUTE = 60_000;
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

describe.each(TOPOLOGIES)('alert evaluation on %s', (topology, available) => {
  let t: TestContainer;
  let tenant: string;

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    t = await testContainer(topology, { CONSOLE_SECRET: 'evaluation-test-secret-0123456789-01234' });
    tenant = await insertTenant(t.c.database.db);
  });
  afterEach(async () => {
    await t?.close();
  });

  const db = () => t.c.database.db;
  const createRule = (input: Partial<Record<keyof CreateRuleInput, unknown>>) =>
    t.c.alerts.service.createRule(testCaller('test'), createRuleInputSchema.parse({ tenantId: tenant, channels: [], ...input }));
  const evaluate = (at: number) => t.c.alerts.port.evaluateAll(runContext(at));
  const incidents = () => db().selectFrom('incidents').selectAll().orderBy('opened_at').orderBy('id').execute();
  const outboxRows = () => db().selectFrom('notification_outbox').selectAll().orderBy('created_at').execute();

  it('aggregates avg, min, max and last per (rule, server) over each rule’s own window, ignoring nulls and older samples', async () => {
    const a = await insertServer(db(), tenant, 'gpu-a');
    const b = await insertServer(db(), tenant, 'gpu-b');
    const other = await insertServer(db(), tenant, 'gpu-other');
    await insertSample(db(), tenant, a, T0 - 20 * MINUTE, { kv_cache_usage_pct: 99 }); // outside both windows
    await insertSample(db(), tenant, a, T0 - 8 * MINUTE, { kv_cache_usage_pct: 80 }); // only in the 10-minute window
    await insertSample(db(), tenant, a, T0 - 3 * MINUTE, { kv_cache_usage_pct: 40 });
    await insertSample(db(), tenant, a, T0 - 2 * MINUTE, { kv_cache_usage_pct: 60 });
    await insertSample(db(), tenant, a, T0 - 1 * MINUTE, { kv_cache_usage_pct: null, up: 0 }); // failed poll: not data
    await insertSample(db(), tenant, a, T0 + 1, { kv_cache_usage_pct: 1 }); // the future is not in the window
    await insertSample(db(), tenant, b, T0 - 30 * MINUTE, { kv_cache_usage_pct: 50 });
    await insertSample(db(), tenant, other, T0 - MINUTE, { kv_cache_usage_pct: 1 }); // a server nobody asked about

    const windows = (column: MetricColumn, minutes: number, servers: string[]): WindowQuery[] =>
      AGGREGATIONS.flatMap((aggregation) =>
        servers.map((serverId) => ({
          ruleId: `${column}/${aggregation}/${minutes}`,
          serverId,
          serverName: serverId,
          column,
          windowMinutes: minutes,
          aggregation,
        })),
      );
    const queries = [...windows('kv_cache_usage_pct', 5, [a, b]), ...windows('kv_cache_usage_pct', 10, [a, b]), ...windows('up', 5, [a])];
    // Both ways of reading: each server's range (few servers), and the whole window (a fleet).
    for (const filterServersUpTo of [500, 0]) {
      const { samples = new Float64Array(), values } = await aggregateWindows(db(), queries, T0, { countSamples: true, filterServersUpTo });
      const of = (column: string, aggregation: string, minutes: number, serverId: string) => {
        const i = queries.findIndex((q) => q.ruleId === `${column}/${aggregation}/${minutes}` && q.serverId === serverId);
        return { samples: samples[i], value: Number.isNaN(values[i]) ? null : values[i] };
      };
      const kv = (aggregation: string, minutes: number, serverId = a) => of('kv_cache_usage_pct', aggregation, minutes, serverId);
      expect([samples.length, values.length]).toEqual([queries.length, queries.length]);
      expect([kv('avg', 5), kv('min', 5), kv('max', 5), kv('last', 5)]).toEqual([
        { samples: 2, value: 50 },
        { samples: 2, value: 40 },
        { samples: 2, value: 60 },
        { samples: 2, value: 60 },
      ]);
      expect([kv('avg', 10), kv('min', 10), kv('max', 10), kv('last', 10)]).toEqual([
        { samples: 3, value: 60 },
        { samples: 3, value: 40 },
        { samples: 3, value: 80 },
        { samples: 3, value: 60 },
      ]);
      for (const aggregation of AGGREGATIONS) expect(kv(aggregation, 10, b)).toEqual({ samples: 0, value: null });
      const up = (aggregation: string) => of('up', aggregation, 5, a)?.value;
      expect([up('avg'), up('min'), up('max'), up('last')]).toEqual([2 / 3, 0, 1, 0]);
      // Evaluation does not count samples (fewer statistics per sample); the values are the same.
      const uncounted = await aggregateWindows(db(), queries, T0, { filterServersUpTo });
      expect(uncounted.samples).toBeUndefined();
      expect([...uncounted.values]).toEqual([...values]);
    }
  });

  it('a KV-cache rule "> 90" opens one incident at 91 % and none at 90 %; firedCount and processedTenants count rules and tenants', async () => {
    const hot = await insertServer(db(), tenant, 'hot');
    const warm = await insertServer(db(), tenant, 'warm');
    await insertSample(db(), tenant, hot, T0 - MINUTE, { kv_cache_usage_pct: 91 });
    await insertSample(db(), tenant, warm, T0 - MINUTE, { kv_cache_usage_pct: 90 });
    const rule = await createRule({ name: 'kv', metric: 'kvCacheUsagePct', aggregation: 'last', operator: '>', threshold: 90 });
    const other = await insertTenant(db(), 'Other');
    await t.c.alerts.service.createRule(
      testCaller('test'),
      createRuleInputSchema.parse({ tenantId: other, name: 'quiet', metric: 'up', operator: '<', threshold: 1, channels: [] }),
    );

    expect(await evaluate(T0)).toEqual({ firedCount: 1, processedTenants: 2 });
    const open = await incidents();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ rule_id: rule.id, server_id: hot, server_name: 'hot', status: 'open', value: 91, last_value: 91 });
    expect(await evaluate(T0 + 1000)).toEqual({ firedCount: 0, processedTenants: 2 });
    expect(await incidents()).toHaveLength(1);
  });

  it('no data: "alerting" opens with no value, "ok" resolves as no-data, "keep" leaves the incident open', async () => {
    const s = await insertServer(db(), tenant, 'flaky');
    await insertSample(db(), tenant, s, T0 - MINUTE, { latency_ms: 5000 });
    const common = { metric: 'latencyMs', operator: '>', threshold: 1000, windowMinutes: 5 };
    const ok = await createRule({ ...common, name: 'ok', noData: 'ok' });
    const keep = await createRule({ ...common, name: 'keep', noData: 'keep' });
    const alerting = await createRule({ ...common, name: 'alerting', noData: 'alerting' });
    await evaluate(T0);
    expect((await incidents()).map((i) => i.rule_id).sort()).toEqual([ok.id, keep.id, alerting.id].sort());

    // Ten minutes later the server has sent nothing: the windows are empty.
    await evaluate(T0 + 10 * MINUTE);
    const after = await incidents();
    const byRule = (id: string) => after.find((i) => i.rule_id === id);
    expect(byRule(ok.id)).toMatchObject({ status: 'resolved', resolution: 'no-data', resolved_at: T0 + 10 * MINUTE, last_value: null });
    expect(byRule(keep.id)).toMatchObject({ status: 'open', resolved_at: null, last_value: 5000 });
    expect(byRule(alerting.id)).toMatchObject({ status: 'open', resolved_at: null });

    // A server that never had data: only "alerting" opens, with no value.
    const silent = await insertServer(db(), tenant, 'silent');
    await evaluate(T0 + 11 * MINUTE);
    const onSilent = (await incidents()).filter((i) => i.server_id === silent);
    expect(onSilent).toHaveLength(1);
    expect(onSilent[0]).toMatchObject({ rule_id: alerting.id, value: null, status: 'open' });
  });

  it('auto-resolves with when and the last value; a new breach later is a new incident; history keeps both', async () => {
    const s = await insertServer(db(), tenant, 'gpu');
    const rule = await createRule({ name: 'queue', metric: 'requestsWaiting', aggregation: 'max', operator: '>=', threshold: 10, windowMinutes: 1 });
    await insertSample(db(), tenant, s, T0 - 1000, { requests_waiting: 12 });
    await evaluate(T0);
    await insertSample(db(), tenant, s, T0 + 2 * MINUTE - 1000, { requests_waiting: 3 });
    await evaluate(T0 + 2 * MINUTE);
    await evaluate(T0 + 2 * MINUTE + 1000); // repeated: changes nothing
    await insertSample(db(), tenant, s, T0 + 4 * MINUTE - 1000, { requests_waiting: 15 });
    await evaluate(T0 + 4 * MINUTE);

    const [first, second, ...rest] = await incidents();
    expect(rest).toHaveLength(0);
    expect(first).toMatchObject({ rule_id: rule.id, status: 'resolved', resolution: 'cleared', value: 12, last_value: 3, resolved_at: T0 + 2 * MINUTE });
    expect(second).toMatchObject({ rule_id: rule.id, status: 'open', value: 15, opened_at: T0 + 4 * MINUTE });
    const detail = await t.c.alerts.service.getIncident(readerOf(ALL_TENANTS), first?.id ?? '');
    expect(detail.timeline.map((e) => [e.type, e.value])).toEqual([
      ['fired', 12],
      ['resolved', 3],
    ]);
    expect(detail).toMatchObject({ resolvedAt: new Date(T0 + 2 * MINUTE).toISOString(), lastValue: 3, resolution: 'cleared' });
  });

  it('re-notifies once per cooldown while unacknowledged, never after acknowledgement', async () => {
    const s = await insertServer(db(), tenant, 'gpu');
    await createRule({
      name: 'ttft',
      metric: 'ttftMs',
      operator: '>',
      threshold: 500,
      windowMinutes: 60,
      cooldownMinutes: 10,
      channels: [{ type: 'slack', url: 'http://127.0.0.1:9/slack' }],
    });
    await insertSample(db(), tenant, s, T0 - MINUTE, { ttft_ms: 900 });
    const types = async () => (await outboxRows()).map((r) => r.event_type);

    await evaluate(T0);
    await evaluate(T0 + 5 * MINUTE);
    expect(await types()).toEqual(['fired']);
    await Promise.all([evaluate(T0 + 10 * MINUTE), evaluate(T0 + 10 * MINUTE)]);
    await evaluate(T0 + 11 * MINUTE);
    expect(await types()).toEqual(['fired', 'renotified']);
    const [incident] = await incidents();
    await t.c.alerts.service.acknowledge(testCaller('operator:oncall@example.com'), incident?.id ?? '', { note: 'looking' });
    await evaluate(T0 + 40 * MINUTE);
    expect(await types()).toEqual(['fired', 'renotified']);
    const body = JSON.parse((await outboxRows())[1]?.body ?? '{}') as { text: string };
    expect(body.text).toContain('Still firing (reminder 1)');
  });

  it('resolves incidents whose server leaves the scope, and those of a disabled (notified) or deleted (not notified) rule', async () => {
    const a = await insertServer(db(), tenant, 'a');
    const b = await insertServer(db(), tenant, 'b');
    for (const s of [a, b]) await insertSample(db(), tenant, s, T0 - MINUTE, { up: 0 });
    const channels = [{ type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'sixteen-chars-secret' }];
    const down = await createRule({ name: 'down', metric: 'up', operator: '==', threshold: 0, channels });
    const down2 = await createRule({ name: 'down2', metric: 'up', operator: '==', threshold: 0, channels });
    const down3 = await createRule({ name: 'down3', metric: 'up', operator: '==', threshold: 0, channels });
    await evaluate(T0);
    expect(await incidents()).toHaveLength(6);

    await db().updateTable('inference_servers').set({ enabled: 0 }).where('id', '=', b).execute();
    await evaluate(T0 + 1000);
    const onB = (await incidents()).filter((i) => i.server_id === b);
    expect(onB.map((i) => i.resolution)).toEqual(['out-of-scope', 'out-of-scope', 'out-of-scope']);

    await t.c.alerts.service.updateRule(testCaller('test'), down2.id, { enabled: false });
    await t.c.alerts.service.deleteRule(testCaller('test'), down3.id);
    const onA = await db().selectFrom('incidents').selectAll().where('server_id', '=', a).execute();
    const resolutionOf = (ruleId: string) => onA.find((i) => i.rule_id === ruleId)?.resolution;
    expect([resolutionOf(down.id), resolutionOf(down2.id), resolutionOf(down3.id)]).toEqual([null, 'rule-disabled', 'rule-deleted']);
    const resolvedNotices = (await outboxRows()).filter((r) => r.event_type === 'resolved');
    // three out-of-scope resolutions and the disabled rule's; the deleted rule's channels went with it
    expect(resolvedNotices).toHaveLength(4);
    // what was still waiting for the deleted rule's channel is cancelled: fired on a and b, resolved on b
    expect(
      (await outboxRows())
        .filter((r) => r.status === 'cancelled')
        .map((r) => r.event_type)
        .sort(),
    ).toEqual(['fired', 'fired', 'resolved']);
    await evaluate(T0 + 2000);
    expect((await incidents()).filter((i) => i.resolved_at === null)).toHaveLength(1);
  });

  it('keeps rules between runs but sees every change: a threshold set in SQL by hand, a server renamed or added', async () => {
    const a = await insertServer(db(), tenant, 'a');
    await insertSample(db(), tenant, a, T0 - MINUTE, { kv_cache_usage_pct: 80 });
    const rule = await createRule({ name: 'kv', metric: 'kvCacheUsagePct', aggregation: 'last', operator: '>', threshold: 90 });
    await evaluate(T0);
    expect(await incidents()).toHaveLength(0);

    // Not through the console: the rules' revision trigger still tells evaluation to read the rules again.
    await sql`UPDATE alert_rules SET threshold = 70 WHERE id = ${rule.id}`.execute(db());
    await evaluate(T0 + 1000);
    expect((await incidents()).map((i) => [i.server_name, i.threshold])).toEqual([['a', 70]]);

    await db().updateTable('inference_servers').set({ name: 'a-renamed' }).where('id', '=', a).execute();
    const b = await insertServer(db(), tenant, 'b');
    await insertSample(db(), tenant, b, T0 + 1000, { kv_cache_usage_pct: 75 });
    await evaluate(T0 + 2000);
    expect((await incidents()).map((i) => i.server_name).sort()).toEqual(['a', 'b']); // names are kept from opening
    await sql`UPDATE alert_rules SET threshold = 99 WHERE id = ${rule.id}`.execute(db());
    await evaluate(T0 + 3000);
    expect((await incidents()).map((i) => i.resolution)).toEqual(['cleared', 'cleared']);
  });

  it('deletes incidents resolved longer ago than the retention, with their timeline and notifications, but not one still notifying', async () => {
    const DAY = 86_400_000;
    const a = await insertServer(db(), tenant, 'a');
    const b = await insertServer(db(), tenant, 'b');
    for (const s of [a, b]) await insertSample(db(), tenant, s, T0 - MINUTE, { kv_cache_usage_pct: 95 });
    const channels = [{ type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'sixteen-chars-secret' }];
    await createRule({ name: 'kv', metric: 'kvCacheUsagePct', operator: '>', threshold: 90, windowMinutes: 5, noData: 'ok', channels });
    await evaluate(T0);
    await evaluate(T0 + 10 * MINUTE); // no data any more: both resolve
    const [onA, onB] = ['a', 'b'].map((name) => incidents().then((all) => all.find((i) => i.server_name === name)));
    const idA = (await onA)?.id ?? '';
    const idB = (await onB)?.id ?? '';
    // A's notifications went out; B's resolved notice is still waiting for its receiver.
    await db().updateTable('notification_outbox').set({ status: 'delivered' }).where('incident_id', '=', idA).execute();
    await db().updateTable('notification_outbox').set({ status: 'delivered' }).where('incident_id', '=', idB).where('event_type', '=', 'fired').execute();
    const left = async () => ({
      incidents: (await incidents()).map((i) => i.id).sort(),
      events: new Set((await db().selectFrom('incident_events').select('incident_id').execute()).map((e) => e.incident_id)),
      outbox: new Set((await outboxRows()).map((r) => r.incident_id)),
    });

    await evaluate(T0 + 89 * DAY); // within the default 90 days
    expect((await left()).incidents).toEqual([idA, idB].sort());
    await evaluate(T0 + 91 * DAY);
    const after = await left();
    expect(after.incidents).toEqual([idB]);
    expect([after.events.has(idA), after.outbox.has(idA)]).toEqual([false, false]);
    expect([after.events.has(idB), after.outbox.has(idB)]).toEqual([true, true]);
  });

  it('reads take the same number of queries for 4 (rule, server) pairs as for 63, in the first run and in steady state', async () => {
    const counter = new QueryCounter();
    const handle = {
      db: t.c.database.db.withPlugin(counter),
      writeTransaction: <T>(fn: (trx: typeof t.c.database.db) => Promise<T>) => t.c.database.writeTransaction((trx) => fn(trx.withPlugin(counter))),
      dialect: t.c.database.dialect,
    };
    const outbox = new NotificationOutbox(handle.db);
    const service = new AlertEvaluationService({
      database: handle,
      incidents: new IncidentRepository(handle, outbox),
      outbox,
      servers: new InferenceRepository(handle),
      onQueued: () => undefined,
      retention: { ms: 90 * 86_400_000, batch: 500 },
    });

    const measure = async (rules: number, servers: number, offset: number) => {
      const tenantId = await insertTenant(db(), `T${rules}x${servers}`);
      for (let s = 0; s < servers; s++) {
        const id = await insertServer(db(), tenantId, `s${s}`);
        for (let k = 0; k < 5; k++) await insertSample(db(), tenantId, id, T0 + offset - k * 1000, { latency_ms: 2000 + k });
      }
      for (let r = 0; r < rules; r++) {
        await t.c.alerts.service.createRule(
          testCaller('test'),
          createRuleInputSchema.parse({
            tenantId,
            name: `r${r}`,
            metric: 'latencyMs',
            operator: '>',
            threshold: r,
            windowMinutes: 1,
            channels: [{ type: 'slack', url: 'http://127.0.0.1:9/a' }],
          }),
        );
      }
      counter.count = 0;
      await service.evaluateAll(runContext(T0 + offset));
      const firstRun = counter.count;
      counter.count = 0;
      await service.evaluateAll(runContext(T0 + offset + 1));
      const steady = counter.count;
      // leave nothing enabled behind for the next measurement
      await db().updateTable('alert_rules').set({ enabled: 0 }).where('tenant_id', '=', tenantId).execute();
      await db().updateTable('incidents').set({ resolved_at: 1, status: 'resolved' }).where('tenant_id', '=', tenantId).execute();
      return { firstRun, steady };
    };

    const small = await measure(2, 2, 0);
    const large = await measure(7, 9, 10 * MINUTE);
    expect(small.firstRun).toBeGreaterThan(3); // the counter sees the evaluation's statements
    expect(large).toEqual(small);
    expect((await db().selectFrom('incidents').select('id').execute()).length).toBe(4 + 63);
  });
});

/** Counts every statement sent through a Kysely instance (raw SQL included). */
class QueryCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.count++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
