import 'server-only';
import type { Caller } from './caller';
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log';
import type { ChangeBus } from '../coordination/change-bus';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { Lifecycle } from '../module-deps';
import type { SessionView } from './session.schemas';

/** A session's last-seen time is written at most this often, so a signed-in page costs a read, not a write. */
export const LAST_SEEN_WRITE_INTERVAL_MS = 60_000;
/** Audit outcomes of `operator.login` that are failed sign-ins (purged after their retention). */
export const FAILED_LOGIN_OUTCOMES = ['refused'] as const;
/** Characters of the session's hash that name it to admins: enough to be unique, useless as a credential. */
const PUBLIC_ID_LENGTH = 16;
const PURGE_BATCH = 500;
const PURGE_MAX_BATCHES = 20;
const PURGE_EVERY_MS = 60_000;

export interface SessionPolicy {
  /** A session with no request for this long has ended (SESSION_IDLE_TIMEOUT_MINUTES). */
  idleTimeoutMs: number;
  /** Refused sign-ins are deleted from the audit log after this long (AUDIT_FAILED_LOGIN_RETENTION_DAYS). */
  failedLoginRetentionMs: number;
}

export function sessionIdHash(sessionToken: string): string {
  return createHash('sha256').update(sessionToken).digest('hex');
}

/** When a session ends by idleness: its last request (or its start) plus the idle timeout. */
export function idleDeadline(row: { created_at: number; last_seen_at: number | null }, idleTimeoutMs: number): number {
  return Number(row.last_seen_at ?? row.created_at) + idleTimeoutMs;
}

/**
 * Operator sessions as admins manage them: list an operator's sessions, end one or all of them, and the periodic
 * purge of ended sessions and old failed sign-ins. Ending sessions deletes their rows (every instance reads the
 * session row on each request, so the next request anywhere is refused) and publishes a `sessions` event so
 * anything holding a session open — a live stream — lets go too.
 */
export class SessionService {
  readonly lifecycle: Lifecycle;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: ChangeBus,
    private readonly audit: AuditLog,
    private readonly policy: SessionPolicy,
    private readonly onPurgeError: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    let timer: NodeJS.Timeout | null = null;
    let purging: Promise<unknown> | null = null;
    this.lifecycle = {
      start: async () => {
        timer = setInterval(() => {
          purging ??= this.purge()
            .catch((error: unknown) => this.onPurgeError(error instanceof Error ? error.message : String(error)))
            .finally(() => {
              purging = null;
            });
        }, PURGE_EVERY_MS);
        timer.unref();
      },
      stop: async () => {
        if (timer) clearInterval(timer);
        await purging;
      },
    };
  }

  /** The operator's live sessions, newest first; `current` marks the caller's own. */
  async list(operatorId: string, currentSessionToken: string | undefined): Promise<SessionView[]> {
    await this.operatorEmail(operatorId);
    const now = this.now();
    const current = currentSessionToken ? sessionIdHash(currentSessionToken) : null;
    const rows = await this.db
      .selectFrom('operator_sessions')
      .selectAll()
      .where('operator_id', '=', operatorId)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
    return rows
      .filter((row) => idleDeadline(row, this.policy.idleTimeoutMs) > now)
      .map((row) => ({
        id: row.id_hash.slice(0, PUBLIC_ID_LENGTH),
        createdAt: iso(row.created_at),
        lastSeenAt: iso(row.last_seen_at ?? row.created_at),
        endsAt: iso(Math.min(Number(row.expires_at), idleDeadline(row, this.policy.idleTimeoutMs))),
        current: row.id_hash === current,
      }));
  }

  /**
   * Ends one of the operator's sessions (by the id {@link list} shows), or all of them when `sessionId` is
   * omitted. Idempotent: ending what has already ended ends nothing and says so (`ended: 0`).
   */
  async end(caller: Caller, operatorId: string, sessionId: string | undefined): Promise<{ ended: number }> {
    const actor = caller.label;
    const email = await this.operatorEmail(operatorId);
    let query = this.db.deleteFrom('operator_sessions').where('operator_id', '=', operatorId);
    if (sessionId !== undefined) {
      if (!/^[0-9a-f]{16}$/.test(sessionId)) throw new AppError('INVALID_INPUT', 'A session id is 16 hex characters');
      query = query.where('id_hash', 'like', `${sessionId}%`);
    }
    const result = await query.executeTakeFirst();
    const ended = Number(result.numDeletedRows);
    await this.bus.publish({ type: 'sessions', operatorId });
    await this.audit.record({
      actor,
      action: sessionId === undefined ? 'operator.sessions.end-all' : 'operator.sessions.end',
      target: email,
      outcome: `ended ${ended}`,
      detail: sessionId === undefined ? undefined : { session: sessionId },
    });
    return { ended };
  }

  /**
   * Deletes sessions past their absolute or idle end, and refused sign-ins past their retention, in small batches
   * (a short write lock each) up to a bound per call; what is left waits for the next call.
   */
  async purge(): Promise<{ sessions: number; failedLogins: number }> {
    const now = this.now();
    const idleCutoff = now - this.policy.idleTimeoutMs;
    let sessions = 0;
    for (let batch = 0; batch < PURGE_MAX_BATCHES; batch++) {
      const ended = this.db
        .selectFrom('operator_sessions')
        .select('id_hash')
        .where((eb) =>
          eb.or([
            eb('expires_at', '<=', now),
            eb.and([eb('last_seen_at', 'is', null), eb('created_at', '<=', idleCutoff)]),
            eb('last_seen_at', '<=', idleCutoff),
          ]),
        )
        .limit(PURGE_BATCH);
      const result = await this.db.deleteFrom('operator_sessions').where('id_hash', 'in', ended).executeTakeFirst();
      sessions += Number(result.numDeletedRows);
      if (Number(result.numDeletedRows) < PURGE_BATCH) break;
    }
    let failedLogins = 0;
    const retentionCutoff = now - this.policy.failedLoginRetentionMs;
    for (let batch = 0; batch < PURGE_MAX_BATCHES; batch++) {
      const old = this.db
        .selectFrom('audit_log')
        .select('id')
        .where('action', '=', 'operator.login')
        .where('at', '<', retentionCutoff)
        .where('outcome', 'in', [...FAILED_LOGIN_OUTCOMES])
        .orderBy('at')
        .limit(PURGE_BATCH);
      const result = await this.db.deleteFrom('audit_log').where('id', 'in', old).executeTakeFirst();
      failedLogins += Number(result.numDeletedRows);
      if (Number(result.numDeletedRows) < PURGE_BATCH) break;
    }
    return { sessions, failedLogins };
  }

  private async operatorEmail(operatorId: string): Promise<string> {
    const row = await this.db.selectFrom('operators').select('email').where('id', '=', operatorId).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'Operator not found');
    return row.email;
  }
}

function iso(ms: number): string {
  return new Date(Number(ms)).toISOString();
}
