import 'server-only';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';

export interface PauseRecord {
  key: string;
  /** In force now: set, and not past `until`. */
  paused: boolean;
  pausedAt: number | null;
  pausedBy: string | null;
  reason: string | null;
  until: number | null;
  /** When the last pause ended (explicit resume, or `until` passing). */
  resumedAt: number | null;
  resumedBy: string | null;
}

/** Pause records, shared by all instances through the database. Pause and resume are idempotent. */
export class PauseRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** Runs a read-then-write atomically (SQLite: BEGIN IMMEDIATE). */
    private readonly writeTransaction: <T>(fn: (trx: Kysely<Database>) => Promise<T>) => Promise<T>,
  ) {}

  async all(now: number): Promise<Map<string, PauseRecord>> {
    const rows = await this.db.selectFrom('automation_pauses').selectAll().execute();
    return new Map(rows.map((r) => [r.automation_key, toRecord(r, now)]));
  }

  async get(key: string, now: number): Promise<PauseRecord | null> {
    const row = await this.db.selectFrom('automation_pauses').selectAll().where('automation_key', '=', key).executeTakeFirst();
    return row ? toRecord(row, now) : null;
  }

  /**
   * Sets the pause. Pausing a paused automation keeps who and when of the first pause and updates the reason
   * and until when they are given.
   */
  async pause(key: string, by: string, now: number, reason: string | null, until: number | null): Promise<void> {
    await this.writeTransaction(async (trx) => {
      const row = await trx.selectFrom('automation_pauses').selectAll().where('automation_key', '=', key).executeTakeFirst();
      const current = row ? toRecord(row, now) : null;
      if (current?.paused) {
        await trx
          .updateTable('automation_pauses')
          .set({ reason: reason ?? current.reason, until: until ?? current.until })
          .where('automation_key', '=', key)
          .execute();
        return;
      }
      const fresh = { paused: 1, paused_at: now, paused_by: by, reason, until, resumed_at: null, resumed_by: null };
      await trx
        .insertInto('automation_pauses')
        .values({ automation_key: key, ...fresh })
        .onConflict((oc) => oc.column('automation_key').doUpdateSet(fresh))
        .execute();
    });
  }

  /** Ends the pause; a no-op when not paused. */
  async resume(key: string, by: string, now: number): Promise<void> {
    await this.db
      .updateTable('automation_pauses')
      .set({ paused: 0, resumed_at: now, resumed_by: by })
      .where('automation_key', '=', key)
      .where('paused', '=', 1)
      .execute();
  }
}

function toRecord(r: Database['automation_pauses'], now: number): PauseRecord {
  const expired = r.paused === 1 && r.until !== null && r.until <= now;
  return {
    key: r.automation_key,
    paused: r.paused === 1 && !expired,
    pausedAt: r.paused_at,
    pausedBy: r.paused_by,
    reason: r.reason,
    until: r.until,
    resumedAt: expired ? r.until : r.resumed_at,
    resumedBy: expired ? 'schedule:until' : r.resumed_by,
  };
}
