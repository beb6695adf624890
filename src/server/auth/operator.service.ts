import 'server-only';
import { type Caller, systemCaller } from './caller';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log';
import type { ChangeBus } from '../coordination/change-bus';
import { isUniqueViolation } from '../db/client';
import type { Database } from '../db/schema';
import { AppError, isAppError } from '../errors';
import type { OperatorView, Role } from './auth.schemas';
import { LAST_SEEN_WRITE_INTERVAL_MS, idleDeadline } from './session.service';
import type { SignInGuard } from './sign-in-guard';

export interface OperatorPrincipal {
  id: string;
  email: string;
  role: Role;
}

export const SESSION_COOKIE = 'ac_session';
export const SESSION_TTL_MS = 7 * 86_400_000;
/** The first admin's email when CONSOLE_ADMIN_EMAIL is not set (a valid address, so sign-in accepts it). */
export const DEFAULT_ADMIN_EMAIL = 'admin@console.local';

// A precomputed hash to verify against for unknown emails, so a login's timing does not tell whether the
// email exists.
const DUMMY_HASH_INPUT = 'not-a-real-password';

/**
 * Operators of the web console: argon2id password hashes (@node-rs/argon2), server-side sessions whose cookie
 * value is stored only as a SHA-256, roles admin and viewer, and sign-in attempts that go through a
 * {@link SignInGuard} (throttle and bounded verification work).
 */
export class OperatorService {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: ChangeBus,
    private readonly audit: AuditLog,
    private readonly now: () => number,
    private readonly signIn: SignInGuard,
    /** Sliding idle timeout of sessions (SESSION_IDLE_TIMEOUT_MINUTES); the absolute lifetime is SESSION_TTL_MS. */
    private readonly sessionIdleTimeoutMs: number = 720 * 60_000,
  ) {}

  async create(caller: Caller, input: { email: string; password: string; role: Role }): Promise<OperatorView> {
    const actor = caller.label;
    const row = {
      id: randomUUID(),
      email: input.email.toLowerCase(),
      password_hash: await argon2Hash(input.password),
      role: input.role,
      created_at: this.now(),
      disabled_at: null,
    };
    try {
      await this.db.insertInto('operators').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('CONFLICT', `An operator with email ${row.email} already exists`);
      throw error;
    }
    await this.audit.record({ actor, action: 'operator.create', target: row.email, outcome: 'created', detail: { role: row.role } });
    return toView(row);
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('operators')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(): Promise<OperatorView[]> {
    const rows = await this.db.selectFrom('operators').selectAll().orderBy('created_at').execute();
    return rows.map(toView);
  }

  /**
   * First start: with no operator at all, creates an admin from the given email and password, or with a
   * generated password that is returned so the caller can print it once. Returns null when operators exist.
   */
  async ensureFirstAdmin(email: string | undefined, password: string | undefined): Promise<{ email: string; generatedPassword: string | null } | null> {
    if ((await this.count()) > 0) return null;
    const chosenEmail = email ?? DEFAULT_ADMIN_EMAIL;
    const generated = password ? null : randomBytes(12).toString('base64url');
    try {
      await this.create(systemCaller('first-start', 'boot'), { email: chosenEmail, password: password ?? (generated as string), role: 'admin' });
    } catch (error) {
      // Another instance created it in the meantime.
      if (isAppError(error) && error.code === 'CONFLICT') return null;
      throw error;
    }
    return { email: chosenEmail, generatedPassword: generated };
  }

  /**
   * Checks the credentials and opens a session. Returns the cookie value (shown to nobody else). `client` is the
   * caller's limit key (http/client-address.ts); refused attempts are RATE_LIMITED before any verification, and
   * every failed verification is audited with the client.
   */
  async login(email: string, password: string, client: string): Promise<{ sessionToken: string; operator: OperatorPrincipal; expiresAt: number }> {
    const account = email.toLowerCase();
    const row = await this.signIn.attempt(account, client, async () => {
      const found = await this.db.selectFrom('operators').selectAll().where('email', '=', account).executeTakeFirst();
      const hash = found?.password_hash ?? (await this.dummy());
      const valid = await argon2Verify(hash, password).catch(() => false);
      if (!found || !valid || found.disabled_at !== null) {
        await this.audit.record({ actor: `operator:${account}`, action: 'operator.login', target: null, outcome: 'refused', detail: { client } });
        return { ok: false as const, error: new AppError('UNAUTHENTICATED', 'Email or password is wrong, or the account is disabled') };
      }
      return { ok: true as const, value: found };
    });
    const sessionToken = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + SESSION_TTL_MS;
    await this.db
      .insertInto('operator_sessions')
      .values({ id_hash: sha256(sessionToken), operator_id: row.id, created_at: this.now(), expires_at: expiresAt })
      .execute();
    await this.audit.record({ actor: `operator:${row.email}`, action: 'operator.login', target: null, outcome: 'signed-in', detail: { client } });
    return { sessionToken, operator: { id: row.id, email: row.email, role: row.role }, expiresAt };
  }

  /**
   * Changes an operator's own password after checking the current one; every other session of theirs ends, the
   * one making the change stays signed in.
   */
  async changePassword(operatorId: string, current: string, next: string, keepSessionToken: string | undefined): Promise<void> {
    const row = await this.byId(operatorId);
    if (!(await argon2Verify(row.password_hash, current).catch(() => false))) {
      throw new AppError('INVALID_INPUT', 'The current password is wrong', { issues: [{ path: 'current', message: 'wrong password' }] });
    }
    await this.db
      .updateTable('operators')
      .set({ password_hash: await argon2Hash(next) })
      .where('id', '=', operatorId)
      .execute();
    let others = this.db.deleteFrom('operator_sessions').where('operator_id', '=', operatorId);
    if (keepSessionToken) others = others.where('id_hash', '!=', sha256(keepSessionToken));
    await others.execute();
    await this.bus.publish({ type: 'sessions', operatorId });
    await this.audit.record({ actor: `operator:${row.email}`, action: 'operator.password', target: row.email, outcome: 'changed' });
  }

  /**
   * Sets an operator's password without the current one (the CLI, for a lost password); every session of theirs
   * ends, on every instance.
   */
  async setPassword(caller: Caller, id: string, password: string): Promise<OperatorView> {
    const actor = caller.label;
    const row = await this.byId(id);
    await this.db
      .updateTable('operators')
      .set({ password_hash: await argon2Hash(password) })
      .where('id', '=', id)
      .execute();
    await this.db.deleteFrom('operator_sessions').where('operator_id', '=', id).execute();
    await this.bus.publish({ type: 'sessions', operatorId: id });
    await this.audit.record({ actor, action: 'operator.password', target: row.email, outcome: 'set' });
    return toView(row);
  }

  /** The operator with this email (any case), or NOT_FOUND. */
  async byEmail(email: string): Promise<OperatorView> {
    const row = await this.db.selectFrom('operators').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', `No operator with email ${email.toLowerCase()}`);
    return toView(row);
  }

  /** Ends this session; its streams open in other tabs end too (the `sessions` event). */
  async logout(sessionToken: string): Promise<void> {
    const idHash = sha256(sessionToken);
    const row = await this.db.selectFrom('operator_sessions').select('operator_id').where('id_hash', '=', idHash).executeTakeFirst();
    await this.db.deleteFrom('operator_sessions').where('id_hash', '=', idHash).execute();
    if (row) await this.bus.publish({ type: 'sessions', operatorId: row.operator_id });
  }

  /**
   * The operator behind a session cookie, or null when the session is unknown, past its absolute or idle end, or
   * the operator disabled. Read from the database on every call (no cache), so a session ended or an operator
   * disabled or re-roled anywhere is seen at once. A live session's last-seen time moves (written at most once a
   * minute), which is what makes the idle timeout slide.
   */
  async fromSession(sessionToken: string | undefined): Promise<OperatorPrincipal | null> {
    if (!sessionToken || sessionToken.length > 200) return null;
    const idHash = sha256(sessionToken);
    const row = await this.db
      .selectFrom('operator_sessions')
      .innerJoin('operators', 'operators.id', 'operator_sessions.operator_id')
      .select([
        'operators.id',
        'operators.email',
        'operators.role',
        'operators.disabled_at',
        'operator_sessions.expires_at',
        'operator_sessions.created_at',
        'operator_sessions.last_seen_at',
      ])
      .where('operator_sessions.id_hash', '=', idHash)
      .executeTakeFirst();
    const now = this.now();
    if (!row || row.disabled_at !== null || row.expires_at <= now) return null;
    if (idleDeadline(row, this.sessionIdleTimeoutMs) <= now) return null;
    if (now - Number(row.last_seen_at ?? row.created_at) >= LAST_SEEN_WRITE_INTERVAL_MS) {
      void this.db
        .updateTable('operator_sessions')
        .set({ last_seen_at: now })
        .where('id_hash', '=', idHash)
        .execute()
        .catch(() => undefined);
    }
    return { id: row.id, email: row.email, role: row.role };
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= argon2Hash(DUMMY_HASH_INPUT);
    return this.dummyHash;
  }

  /**
   * Disables or re-enables an operator; a disabled operator's sessions end at once. The last enabled admin can
   * be neither disabled nor demoted, so the console never locks everyone out.
   */
  async setDisabled(caller: Caller, id: string, disabled: boolean): Promise<OperatorView> {
    const actor = caller.label;
    const row = await this.byId(id);
    if (disabled && row.role === 'admin' && row.disabled_at === null) await this.assertAnotherAdmin(id);
    await this.db
      .updateTable('operators')
      .set({ disabled_at: disabled ? (row.disabled_at ?? this.now()) : null })
      .where('id', '=', id)
      .execute();
    if (disabled) await this.db.deleteFrom('operator_sessions').where('operator_id', '=', id).execute();
    await this.bus.publish({ type: 'operators' });
    if (disabled) await this.bus.publish({ type: 'sessions', operatorId: id });
    await this.audit.record({
      actor,
      action: disabled ? 'operator.disable' : 'operator.enable',
      target: row.email,
      outcome: disabled ? 'disabled' : 'enabled',
    });
    return toView(await this.byId(id));
  }

  async setRole(caller: Caller, id: string, role: Role): Promise<OperatorView> {
    const actor = caller.label;
    const row = await this.byId(id);
    if (row.role === 'admin' && role !== 'admin' && row.disabled_at === null) await this.assertAnotherAdmin(id);
    await this.db.updateTable('operators').set({ role }).where('id', '=', id).execute();
    await this.bus.publish({ type: 'operators' });
    await this.audit.record({ actor, action: 'operator.role', target: row.email, outcome: role });
    return toView(await this.byId(id));
  }

  private async byId(id: string): Promise<Database['operators']> {
    const row = await this.db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'Operator not found');
    return row;
  }

  private async assertAnotherAdmin(id: string): Promise<void> {
    const others = await this.db
      .selectFrom('operators')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .where('disabled_at', 'is', null)
      .where('id', '!=', id)
      .executeTakeFirstOrThrow();
    if (Number(others.n) === 0) throw new AppError('CONFLICT', 'This is the last enabled admin; make another admin first');
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toView(r: Database['operators']): OperatorView {
  return {
    id: r.id,
    email: r.email,
    role: r.role,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    disabledAt: r.disabled_at === null ? null : new Date(Number(r.disabled_at)).toISOString(),
  };
}
