import 'server-only';
import type { Kysely } from 'kysely';
import { toJson } from '../db/client';
import type { Database } from '../db/schema';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  detail?: Record<string, unknown>;
}

export interface AuditView {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  instanceId: string;
  outcome: string;
  detail: Record<string, unknown> | null;
}

/** Every control action from every surface: who, what, on which instance, and how it ended. Append-only. */
export class AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly instanceId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at: this.now(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        instance_id: this.instanceId,
        outcome: entry.outcome,
        detail: entry.detail ? toJson(entry.detail) : null,
      })
      .execute();
  }

  async list(filter: { actor?: string; action?: string; target?: string; limit: number; beforeId?: number }): Promise<AuditView[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (filter.actor) q = q.where('actor', '=', filter.actor);
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.target) q = q.where('target', '=', filter.target);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: new Date(Number(r.at)).toISOString(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      instanceId: r.instance_id,
      outcome: r.outcome,
      detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    }));
  }
}
