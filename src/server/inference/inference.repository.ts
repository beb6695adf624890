import 'server-only';
import { type Kysely, sql } from 'kysely';
import { caseById } from '../db/case-by-id';
import type { DatabaseHandle } from '../db/client';
import { afterKey } from '../db/keyset-page';
import { lockTenantForQuota } from '../tenants/tenant-quotas';
import type { Database } from '../db/schema';
import type { InferenceSampleTable, InferenceServerTable } from '../db/tables/inference.tables';

export type ServerRow = InferenceServerTable;
export type SampleRow = InferenceSampleTable;

/** One finished poll: the server as it was read when the run started, its sample and its new status. */
export interface PollRecord {
  server: Pick<ServerRow, 'id' | 'updated_at'>;
  sample: SampleRow;
  status: Pick<ServerRow, 'status' | 'last_polled_at' | 'last_latency_ms' | 'last_error'>;
}

/** Ids per IN list; far below both dialects' parameter limits. */
const ID_CHUNK = 500;

/**
 * A poll that finished less than this before a full interval had passed still counts the server as due.
 * Runs start a few milliseconds after their cron tick, and not always the same few: without the slack a server
 * with a 30 s interval on a 30 s schedule would be polled every other run whenever this run started a little
 * later after its tick than the previous one.
 */
export const DUE_SLACK_MS = 1_000;

/** Persistence of inference servers and samples. Times are epoch ms; see db/schema.ts. */
export class InferenceRepository {
  constructor(private readonly database: Pick<DatabaseHandle, 'db' | 'writeTransaction' | 'dialect'>) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  async insertServer(row: ServerRow): Promise<void> {
    await this.db.insertInto('inference_servers').values(row).execute();
  }

  /**
   * Inserts the server unless its tenant already has `quota` servers; returns whether it did. The count and the
   * insert share one write transaction holding the tenant's quota lock, so concurrent creates cannot overshoot.
   */
  insertServerWithinQuota(row: ServerRow, quota: number): Promise<boolean> {
    return this.database.writeTransaction(async (trx) => {
      await lockTenantForQuota(trx, this.database.dialect, row.tenant_id);
      const { n } = await trx
        .selectFrom('inference_servers')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('tenant_id', '=', row.tenant_id)
        .executeTakeFirstOrThrow();
      if (Number(n) >= quota) return false;
      await trx.insertInto('inference_servers').values(row).execute();
      return true;
    });
  }

  async updateServer(id: string, changes: Partial<ServerRow>): Promise<void> {
    await this.db.updateTable('inference_servers').set(changes).where('id', '=', id).execute();
  }

  async deleteServer(id: string): Promise<void> {
    // Samples go with it (ON DELETE CASCADE); deleted explicitly too, so it does not depend on SQLite's pragma.
    await this.database.writeTransaction(async (trx) => {
      await trx.deleteFrom('inference_samples').where('server_id', '=', id).execute();
      await trx.deleteFrom('inference_servers').where('id', '=', id).execute();
    });
  }

  getServer(id: string): Promise<ServerRow | undefined> {
    return this.db.selectFrom('inference_servers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listServers(filter: { tenantId?: string }): Promise<ServerRow[]> {
    let query = this.db.selectFrom('inference_servers').selectAll().orderBy('tenant_id').orderBy('name');
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
    return query.execute();
  }

  /** Every enabled server's id, tenant and name, by id: what alert evaluation scopes its rules to. */
  enabledServers(): Promise<Array<Pick<ServerRow, 'id' | 'tenant_id' | 'name'>>> {
    return this.db.selectFrom('inference_servers').select(['id', 'tenant_id', 'name']).where('enabled', '=', 1).orderBy('id').execute();
  }

  /**
   * One page in the list's order (tenant, then name: unique together, so it is the whole key and the unique index
   * `inference_servers_tenant` serves the seek), starting after `after` when given; `limit` rows at most.
   */
  pageServers(filter: { tenantId?: string }, limit: number, after?: { tenantId: string; name: string }): Promise<ServerRow[]> {
    let query = this.db.selectFrom('inference_servers').selectAll().orderBy('tenant_id').orderBy('name').limit(limit);
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
    if (after) {
      query = query.where(
        afterKey([
          { column: 'tenant_id', direction: 'asc', value: after.tenantId },
          { column: 'name', direction: 'asc', value: after.name },
        ]),
      );
    }
    return query.execute();
  }

  /**
   * Servers due at `now`: enabled, and never polled or last polled at least one interval ago (less
   * {@link DUE_SLACK_MS}). The longest-waiting first, at most `limit`.
   */
  dueServers(now: number, limit: number): Promise<ServerRow[]> {
    return this.db
      .selectFrom('inference_servers')
      .selectAll()
      .where('enabled', '=', 1)
      .where((eb) => eb.or([eb('last_polled_at', 'is', null), eb(sql<number>`last_polled_at + poll_interval_s * 1000`, '<=', now + DUE_SLACK_MS)]))
      .orderBy(sql`coalesce(last_polled_at, 0)`)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /**
   * The newest sample of each server, in one statement (an indexed lookup per server): its counters are the base
   * for the next poll's rates. Servers without samples are absent from the map.
   */
  async latestSamples(serverIds: string[]): Promise<Map<string, Pick<SampleRow, 'at' | 'counters'>>> {
    const latest = new Map<string, Pick<SampleRow, 'at' | 'counters'>>();
    for (let i = 0; i < serverIds.length; i += ID_CHUNK) {
      const rows = await this.db
        .selectFrom('inference_servers as s')
        .innerJoin('inference_samples as x', (join) =>
          join.onRef('x.id', '=', (eb) =>
            eb.selectFrom('inference_samples as y').select('y.id').whereRef('y.server_id', '=', 's.id').orderBy('y.at', 'desc').limit(1),
          ),
        )
        .select(['s.id as server_id', 'x.at', 'x.counters'])
        .where('s.id', 'in', serverIds.slice(i, i + ID_CHUNK))
        .execute();
      for (const row of rows) latest.set(row.server_id, { at: Number(row.at), counters: row.counters });
    }
    return latest;
  }

  /**
   * Stores polls' samples and their servers' new statuses, in one transaction of two statements whatever the
   * number of polls — except for servers changed, disabled or deleted while they were being polled (their
   * `updated_at` moved, or they are gone): their results describe a configuration that no longer exists and are
   * dropped. Returns the ids of the servers whose results were stored.
   */
  async recordPolls(polls: PollRecord[]): Promise<Set<string>> {
    if (polls.length === 0) return new Set();
    return this.database.writeTransaction(async (trx) => {
      const updated = await trx
        .updateTable('inference_servers')
        .set({
          status: caseById(
            polls.map((p) => [p.server.id, p.status.status]),
            'TEXT',
          ),
          last_polled_at: caseById(
            polls.map((p) => [p.server.id, p.status.last_polled_at]),
            'BIGINT',
          ),
          last_latency_ms: caseById(
            polls.map((p) => [p.server.id, p.status.last_latency_ms]),
            'BIGINT',
          ),
          last_error: caseById(
            polls.map((p) => [p.server.id, p.status.last_error]),
            'TEXT',
          ),
        })
        .where(
          'id',
          'in',
          polls.map((p) => p.server.id),
        )
        .where('enabled', '=', 1)
        .where(
          'updated_at',
          '=',
          caseById(
            polls.map((p) => [p.server.id, p.server.updated_at]),
            'BIGINT',
          ),
        )
        .returning('id')
        .execute();
      const stored = new Set(updated.map((r) => r.id));
      const samples = polls.filter((p) => stored.has(p.server.id)).map((p) => p.sample);
      if (samples.length > 0) await trx.insertInto('inference_samples').values(samples).execute();
      return stored;
    });
  }

  /** Servers whose API key was stored before keys were bound to an origin (`v1.` values). */
  legacyKeyServers(): Promise<Array<Pick<ServerRow, 'id' | 'base_url' | 'api_key_enc'>>> {
    return this.db.selectFrom('inference_servers').select(['id', 'base_url', 'api_key_enc']).where('api_key_enc', 'like', 'v1.%').execute();
  }

  /**
   * Replaces a stored key only if it is still `previous` (another instance, or a user, may have changed it
   * meanwhile). `updated_at` is left alone: the configuration did not change, so a poll in flight still counts.
   */
  async replaceApiKey(id: string, previous: string, next: string): Promise<boolean> {
    const result = await this.db
      .updateTable('inference_servers')
      .set({ api_key_enc: next })
      .where('id', '=', id)
      .where('api_key_enc', '=', previous)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Newest first. */
  samples(serverId: string, options: { since?: number; limit: number }): Promise<SampleRow[]> {
    let query = this.db.selectFrom('inference_samples').selectAll().where('server_id', '=', serverId);
    if (options.since !== undefined) query = query.where('at', '>=', options.since);
    return query.orderBy('at', 'desc').limit(options.limit).execute();
  }

  /** Deletes at most `batch` samples older than `cutoff` (oldest first); returns how many. */
  async deleteSamplesBefore(cutoff: number, batch: number): Promise<number> {
    const result = await this.db
      .deleteFrom('inference_samples')
      .where('id', 'in', (eb) => eb.selectFrom('inference_samples').select('id').where('at', '<', cutoff).orderBy('at').limit(batch))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
