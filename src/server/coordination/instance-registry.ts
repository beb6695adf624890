import 'server-only';
import type { Kysely } from 'kysely';
import { fromJson, toJson } from '../db/client';
import type { Database } from '../db/schema';

export interface InstanceStats {
  browser?: { browserConnected: boolean; liveSessions: number; shuttingDown: boolean; healthy: boolean };
  runsInFlight?: string[];
}

export interface InstanceView {
  id: string;
  version: string;
  startedAt: string;
  heartbeatAt: string;
  lockProvider: string;
  scheduler: boolean;
  live: boolean;
  stats: InstanceStats;
}

/** An instance is live while its heartbeat is younger than this. */
export const INSTANCE_LIVENESS_MS = 15_000;
export const HEARTBEAT_INTERVAL_MS = 5_000;

/**
 * Instances register in the database (shared by all of them in the scaled-out topology) and beat every few
 * seconds. Liveness is judged by heartbeat age, so a killed instance drops out without saying goodbye.
 */
export class InstanceRegistry {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly self: { id: string; version: string; lockProvider: string; scheduler: boolean },
    private readonly now: () => number = Date.now,
  ) {}

  get id(): string {
    return this.self.id;
  }

  async register(stats: InstanceStats): Promise<void> {
    const now = this.now();
    const row = {
      id: this.self.id,
      version: this.self.version,
      started_at: now,
      heartbeat_at: now,
      stopped_at: null,
      lock_provider: this.self.lockProvider,
      scheduler: this.self.scheduler ? 1 : 0,
      stats: toJson(stats),
    };
    await this.db
      .insertInto('instances')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, id: undefined }))
      .execute();
  }

  async heartbeat(stats: InstanceStats): Promise<void> {
    await this.db
      .updateTable('instances')
      .set({ heartbeat_at: this.now(), stats: toJson(stats), stopped_at: null })
      .where('id', '=', this.self.id)
      .execute();
  }

  async deregister(): Promise<void> {
    await this.db.updateTable('instances').set({ stopped_at: this.now() }).where('id', '=', this.self.id).execute();
  }

  /** Live instances, oldest first. */
  async live(): Promise<InstanceView[]> {
    const rows = await this.db
      .selectFrom('instances')
      .selectAll()
      .where('stopped_at', 'is', null)
      .where('heartbeat_at', '>', this.now() - INSTANCE_LIVENESS_MS)
      .orderBy('started_at')
      .execute();
    return rows.map((r) => this.toView(r, true));
  }

  /** Recently seen instances (live or stopped within the last hour), for the instances panel. */
  async recent(): Promise<InstanceView[]> {
    const now = this.now();
    const rows = await this.db
      .selectFrom('instances')
      .selectAll()
      .where('heartbeat_at', '>', now - 3_600_000)
      .orderBy('started_at', 'desc')
      .execute();
    return rows.map((r) => this.toView(r, r.stopped_at === null && r.heartbeat_at > now - INSTANCE_LIVENESS_MS));
  }

  /**
   * Instances that ran a scheduler and stopped beating without saying goodbye (killed, frozen, partitioned)
   * within the last hour, newest heartbeat first. A gracefully stopped instance is not lapsed.
   */
  async lapsedSchedulers(): Promise<Array<{ id: string; heartbeatAt: number }>> {
    const now = this.now();
    const rows = await this.db
      .selectFrom('instances')
      .select(['id', 'heartbeat_at'])
      .where('scheduler', '=', 1)
      .where('stopped_at', 'is', null)
      .where('heartbeat_at', '<=', now - INSTANCE_LIVENESS_MS)
      .where('heartbeat_at', '>', now - 3_600_000)
      .orderBy('heartbeat_at', 'desc')
      .execute();
    return rows.map((r) => ({ id: r.id, heartbeatAt: Number(r.heartbeat_at) }));
  }

  async isLive(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('instances')
      .select('id')
      .where('id', '=', id)
      .where('stopped_at', 'is', null)
      .where('heartbeat_at', '>', this.now() - INSTANCE_LIVENESS_MS)
      .executeTakeFirst();
    return row !== undefined;
  }

  private toView(r: Database['instances'], live: boolean): InstanceView {
    return {
      id: r.id,
      version: r.version,
      startedAt: new Date(r.started_at).toISOString(),
      heartbeatAt: new Date(r.heartbeat_at).toISOString(),
      lockProvider: r.lock_provider,
      scheduler: r.scheduler === 1,
      live,
      stats: fromJson<InstanceStats>(r.stats, {}),
    };
  }
}
