import { type Kysely, sql } from 'kysely';
import type { DatabaseHandle } from '../db/client';
import type { Database } from '../db/schema';
import type { InferenceSampleTable, InferenceServerTable } from './inference.tables';

export type ServerRow = InferenceServerTable;
export type SampleRow = InferenceSampleTable;

/**
 * A poll that finished less than this before a full interval had passed still counts the server as due.
 * Runs start a few milliseconds after their cron tick, and not always the same few: without the slack a server
 * with a 30 s interval on a 30 s schedule would be polled every other run whenever this run started a little
 * later after its tick than the previous one.
 */
export const DUE_SLACK_MS = 1_000;

/** Persistence of inference servers and samples. Times are epoch ms; see db/schema.ts. */
export class InferenceRepository {
  constructor(private readonly database: DatabaseHandle) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  async insertServer(row: ServerRow): Promise<void> {
    await this.db.insertInto('inference_servers').values(row).execute();
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

  /**
   * Servers due at `now`: enabled, and never polled or last polled at least one interval ago (less
   * {@link DUE_SLACK_MS}). The longest-waiting first, at most `limit`.
   */
  dueServers(now: number, limit: number): Promise<ServerRow[]> {
    return this.db
      .selectFrom('inference_servers')
      .selectAll()
      .where('enabled', '=', 1)
      .where((eb) =>
        eb.or([eb('last_polled_at', 'is', null), eb(sql<number>`last_polled_at + poll_interval_s * 1000`, '<=', now + DUE_SLACK_MS)]),
      )
      .orderBy(sql`coalesce(last_polled_at, 0)`)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** The newest sample of a server (its counters are the base for the next poll's rates). */
  latestSample(serverId: string): Promise<SampleRow | undefined> {
    return this.db.selectFrom('inference_samples').selectAll().where('server_id', '=', serverId).orderBy('at', 'desc').limit(1).executeTakeFirst();
  }

  /**
   * Stores one poll's sample and the server's new status together — unless the server was changed, disabled
   * or deleted while it was being polled (its `updated_at` moved, or it is gone): then the result describes a
   * configuration that no longer exists and is dropped. Returns whether it was stored.
   */
  async recordPoll(server: Pick<ServerRow, 'id' | 'updated_at'>, sample: SampleRow, status: Pick<ServerRow, 'status' | 'last_polled_at' | 'last_latency_ms' | 'last_error'>): Promise<boolean> {
    return this.database.writeTransaction(async (trx) => {
      const updated = await trx
        .updateTable('inference_servers')
        .set(status)
        .where('id', '=', server.id)
        .where('updated_at', '=', server.updated_at)
        .where('enabled', '=', 1)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      await trx.insertInto('inference_samples').values(sample).execute();
      return true;
    });
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
