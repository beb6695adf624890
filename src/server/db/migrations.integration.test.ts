import { type Insertable, type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dropSchema, POSTGRES_URL, postgresAvailable, tempDir, uniqueId } from '../testing/services';
import { type DatabaseHandle, isUniqueViolation, openDatabase } from './client';
import { knownMigrations, migrateToLatest } from './migrations';
import type { AutomationRunTable, Database } from './schema';

/** Every table of the schema types; the `Record` makes the checker demand a new table here when one is added. */
const TABLES: Record<keyof Database, true> = {
  automation_pauses: true,
  automation_runs: true,
  automation_run_logs: true,
  api_tokens: true,
  operators: true,
  operator_sessions: true,
  audit_log: true,
  instances: true,
  tenants: true,
  inference_servers: true,
  inference_samples: true,
  alert_rules: true,
  alert_channels: true,
  incidents: true,
  incident_events: true,
  notification_outbox: true,
  browser_sessions: true,
  revisions: true,
  changes: true,
};

interface OpenedDatabase {
  handle: DatabaseHandle;
  /** The PostgreSQL schema the handle works in; undefined for SQLite. */
  schema: string | undefined;
  cleanup: () => Promise<void>;
}

async function openSqlite(): Promise<OpenedDatabase> {
  const temp = tempDir('migrations');
  const handle = await openDatabase({ dataDir: temp.dir });
  return {
    handle,
    schema: undefined,
    cleanup: async () => {
      await handle.close();
      temp.cleanup();
    },
  };
}

async function openPostgres(): Promise<OpenedDatabase> {
  const temp = tempDir('migrations');
  const schema = uniqueId('migrations');
  const handle = await openDatabase({ databaseUrl: POSTGRES_URL, schema, dataDir: temp.dir, poolSize: 2 });
  return {
    handle,
    schema,
    cleanup: async () => {
      await handle.close();
      await dropSchema(schema);
      temp.cleanup();
    },
  };
}

function migrate({ handle, schema }: OpenedDatabase): Promise<string[]> {
  return migrateToLatest(handle.db as unknown as Kysely<unknown>, handle.dialect, schema);
}

function run(overrides: Partial<Insertable<AutomationRunTable>> = {}): Insertable<AutomationRunTable> {
  return {
    id: uniqueId('run'),
    automation_key: 'alert-evaluation',
    trigger: 'schedule',
    actor: 'system:scheduler',
    instance_id: 'instance-a',
    slot: '2024-01-01T12:00:00.000Z',
    fence: 42,
    started_at: 1_704_110_400_123,
    finished_at: 1_704_110_401_456,
    duration_ms: 1_333,
    outcome: 'succeeded',
    error: null,
    metrics: '{"evaluated":3}',
    lease_expires_at: 1_704_110_460_123,
    progress_done: 12,
    progress_total: 300,
    progress_unit: 'servers',
    progress_at: 1_704_110_401_000,
    log_lines: 3,
    log_dropped: 1,
    ...overrides,
  };
}

/**
 * Tables of the handle's own schema. Not Kysely's introspection: on PostgreSQL it reads every schema of the
 * database and fails when another test drops its schema meanwhile.
 */
async function tableNames({ handle, schema }: OpenedDatabase): Promise<string[]> {
  const query =
    schema === undefined
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema}`;
  const { rows } = await query.execute(handle.db);
  return rows.map((row) => row.name);
}

/** The rejection of `write`, or a failure if it resolved. */
async function rejectionOf(write: Promise<unknown>): Promise<unknown> {
  return write.then(
    () => {
      throw new Error('expected the write to be rejected');
    },
    (error: unknown) => error,
  );
}

function describeDialect(name: string, open: () => Promise<OpenedDatabase>): void {
  describe(`migrations on ${name}`, () => {
    let opened: OpenedDatabase;
    let db: Kysely<Database>;

    beforeEach(async () => {
      opened = await open();
      db = opened.handle.db;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    it('applies every known migration once; a second call applies nothing', async () => {
      expect(knownMigrations()).toEqual([
        '0001_control_plane',
        '0002_tenants',
        '0003_inference',
        '0004_browser',
        '0005_alerts',
        '0006_rule_revision',
        '0007_incident_retention',
        '0008_outbound_reach',
        '0010_tenancy',
        '0011_change_feed_sessions',
        '0012_webhook_signature_scheme',
        '0013_run_logs',
      ]);
      expect(await migrate(opened)).toEqual(knownMigrations());
      expect(await migrate(opened)).toEqual([]);
    });

    it('creates every table of the schema types, in its own schema', async () => {
      await migrate(opened);
      const tables = (await tableNames(opened)).filter((table) => !table.startsWith('kysely_'));
      expect(tables.sort()).toEqual(Object.keys(TABLES).sort());
    });

    it('bumps the alert rules revision on every insert, update and delete, whoever writes', async () => {
      await migrate(opened);
      const revision = async () => Number((await db.selectFrom('revisions').select('value').where('name', '=', 'alert_rules').executeTakeFirstOrThrow()).value);
      await db.insertInto('tenants').values({ id: 't', name: 'T', slug: 't', created_at: 0 }).execute();
      const rule = (
        id: string,
      ) => sql`INSERT INTO alert_rules (id, tenant_id, name, metric, aggregation, operator, threshold, window_minutes, server_id, severity, no_data, cooldown_minutes, enabled, created_at, updated_at)
        VALUES (${id}, 't', ${id}, 'up', 'min', '<', 1, 5, NULL, 'warning', 'ok', 0, 1, 0, 0)`;
      const seen = [await revision()];
      await rule('a').execute(db);
      seen.push(await revision());
      await sql`UPDATE alert_rules SET threshold = 2 WHERE id = 'a'`.execute(db);
      seen.push(await revision());
      await sql`DELETE FROM alert_rules WHERE id = 'a'`.execute(db);
      seen.push(await revision());
      await db.selectFrom('alert_rules').selectAll().execute();
      seen.push(await revision());
      expect(seen).toEqual([0, 1, 2, 3, 3]);
    });

    it('round-trips automation_runs rows with epoch milliseconds and counts as JS numbers', async () => {
      await migrate(opened);
      const row = run();
      await db.insertInto('automation_runs').values(row).execute();

      const stored = await db.selectFrom('automation_runs').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();

      expect(stored).toEqual(row);
    });

    it('round-trips audit_log rows with generated ids as JS numbers', async () => {
      await migrate(opened);
      const entry = {
        at: 1_704_110_400_123,
        actor: 'operator:ops@example.com',
        action: 'automation.pause',
        target: 'alert-evaluation',
        instance_id: 'instance-a',
        outcome: 'ok',
        detail: null,
      };
      await db.insertInto('audit_log').values(entry).execute();
      await db
        .insertInto('audit_log')
        .values({ ...entry, at: entry.at + 1 })
        .execute();

      const stored = await db.selectFrom('audit_log').selectAll().orderBy('id').execute();

      expect(stored).toEqual([
        { ...entry, id: expect.any(Number) },
        { ...entry, at: entry.at + 1, id: expect.any(Number) },
      ]);
      const [first, second] = stored;
      expect(typeof first?.id).toBe('number');
      expect(second?.id).toBeGreaterThan(first?.id ?? Number.POSITIVE_INFINITY);
    });

    it('rejects a second run for the same (automation_key, slot) as a unique violation', async () => {
      await migrate(opened);
      await db.insertInto('automation_runs').values(run()).execute();

      const error = await rejectionOf(db.insertInto('automation_runs').values(run()).execute());

      expect(isUniqueViolation(error)).toBe(true);
      // The same slot of another automation, and runs without a slot (manual ones), are not duplicates.
      await db
        .insertInto('automation_runs')
        .values(run({ automation_key: 'inference-monitoring-poll' }))
        .execute();
      await db
        .insertInto('automation_runs')
        .values(run({ slot: null, trigger: 'api' }))
        .execute();
      await db
        .insertInto('automation_runs')
        .values(run({ slot: null, trigger: 'api' }))
        .execute();
      const rows = await db.selectFrom('automation_runs').select('id').execute();
      expect(rows).toHaveLength(4);
    });

    it('does not take other constraint errors for unique violations', async () => {
      await migrate(opened);
      const error = await rejectionOf(
        db
          .insertInto('automation_runs')
          .values({ ...run(), instance_id: null as unknown as string })
          .execute(),
      );
      expect(error).toBeInstanceOf(Error);
      expect(isUniqueViolation(error)).toBe(false);
    });

    it('rolls a write transaction back when its callback throws, and commits the next one', async () => {
      await migrate(opened);
      const failure = new Error('run executor failed mid-transaction');

      const error = await rejectionOf(
        opened.handle.writeTransaction(async (trx) => {
          await trx
            .insertInto('automation_runs')
            .values(run({ id: 'rolled-back' }))
            .execute();
          throw failure;
        }),
      );

      expect(error).toBe(failure);
      expect(await db.selectFrom('automation_runs').select('id').execute()).toEqual([]);
      await opened.handle.writeTransaction(async (trx) => {
        await trx
          .insertInto('automation_runs')
          .values(run({ id: 'committed' }))
          .execute();
      });
      expect(await db.selectFrom('automation_runs').select('id').execute()).toEqual([{ id: 'committed' }]);
    });
  });
}

describeDialect('SQLite', openSqlite);

describe.skipIf(!postgresAvailable)('PostgreSQL', () => {
  describeDialect('PostgreSQL', openPostgres);

  describe('schemas of one database', () => {
    const opened: OpenedDatabase[] = [];

    afterEach(async () => {
      for (const database of opened.splice(0)) await database.cleanup();
    });

    it('migrates its own schema while another schema of the same database is already migrated', async () => {
      // Tests (and deployments with DATABASE_SCHEMA) share one database; each schema needs its own migrations.
      const first = await openPostgres();
      opened.push(first);
      const second = await openPostgres();
      opened.push(second);

      expect(await migrate(first)).toEqual(knownMigrations());
      expect(await migrate(second)).toEqual(knownMigrations());
      await second.handle.db.insertInto('automation_runs').values(run()).execute();
      expect(await first.handle.db.selectFrom('automation_runs').select('id').execute()).toEqual([]);
    });
  });
});
