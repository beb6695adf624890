import 'server-only';
import type { Caller } from './caller';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log';
import type { ChangeBus } from '../coordination/change-bus';
import { fromJson, isUniqueViolation, toJson } from '../db/client';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import { SCOPES, type CreateTokenInput, type Scope, type TokenView } from './auth.schemas';
import { displayPrefix, generateToken, hashToken, isWellFormedToken } from './token-format';

export interface TokenPrincipal {
  id: string;
  name: string;
  scopes: ReadonlySet<string>;
  tenantId: string | null;
}

/** Cached lookups live this long at most; revocation also drops them at once on every instance (change bus). */
const CACHE_TTL_MS = 5_000;
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
/** How long a token that authenticated here still gets a lookup while its client is over the failure budget. */
const RECENTLY_VALID_MS = 10 * 60_000;

/**
 * API tokens (DESIGN §7). Only the SHA-256 of a token is stored; a token is looked up by its hash. Lookups are
 * cached briefly and dropped on every instance when any token changes, so revocation takes effect at once.
 */
export class TokenService {
  private readonly cache = new Map<string, { principal: TokenPrincipal | null; expiresAt: number | null; revoked: boolean; at: number }>();
  private readonly lastUsedWritten = new Map<string, number>();
  /** Hashes of tokens that authenticated on this instance, with when (see wasRecentlyValid). */
  private readonly recentlyValid = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: ChangeBus,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {
    bus.subscribe((event) => {
      if (event.type === 'tokens') this.cache.clear();
    });
  }

  async create(caller: Caller, input: Omit<CreateTokenInput, 'tenantId'> & { tenantId?: string | null }): Promise<{ token: string; view: TokenView }> {
    const createdBy = caller.label;
    if (input.tenantId) {
      const tenant = await this.db.selectFrom('tenants').select('id').where('id', '=', input.tenantId).executeTakeFirst();
      if (!tenant) throw new AppError('NOT_FOUND', `No tenant with id ${input.tenantId}`);
    }
    const token = generateToken();
    const now = this.now();
    const row = {
      id: randomUUID(),
      name: input.name,
      prefix: displayPrefix(token),
      hash: hashToken(token),
      scopes: toJson([...new Set(input.scopes)].sort()),
      tenant_id: input.tenantId ?? null,
      created_at: now,
      created_by: createdBy,
      expires_at: input.expiresInSeconds === undefined ? null : now + input.expiresInSeconds * 1000,
      revoked_at: null,
      last_used_at: null,
    };
    try {
      await this.db.insertInto('api_tokens').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('CONFLICT', `A token named "${input.name}" already exists; choose another name`);
      throw error;
    }
    await this.audit.record({ actor: createdBy, action: 'token.create', target: input.name, outcome: 'created', detail: { scopes: input.scopes } });
    return { token, view: toView(row) };
  }

  async list(): Promise<TokenView[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map(toView);
  }

  /** Revokes by exact name, id or display prefix. Idempotent; ambiguous prefixes are refused. */
  async revoke(caller: Caller, nameOrPrefix: string): Promise<TokenView> {
    const actor = caller.label;
    const matches = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where((eb) => eb.or([eb('name', '=', nameOrPrefix), eb('prefix', '=', nameOrPrefix), eb('id', '=', nameOrPrefix)]))
      .execute();
    const exact = matches.filter((m) => m.name === nameOrPrefix || m.id === nameOrPrefix);
    const chosen = exact.length === 1 ? exact : matches;
    if (chosen.length === 0) throw new AppError('NOT_FOUND', `No token named or prefixed "${nameOrPrefix}"`);
    if (chosen.length > 1) throw new AppError('CONFLICT', `"${nameOrPrefix}" matches ${chosen.length} tokens; revoke by name instead`);
    const row = chosen[0] as Database['api_tokens'];
    const revokedAt = row.revoked_at ?? this.now();
    await this.db.updateTable('api_tokens').set({ revoked_at: revokedAt }).where('id', '=', row.id).execute();
    this.cache.clear();
    await this.bus.publish({ type: 'tokens' });
    await this.audit.record({ actor, action: 'token.revoke', target: row.name, outcome: 'revoked' });
    return toView({ ...row, revoked_at: revokedAt });
  }

  /**
   * Whether this instance accepted the token within the last {@link RECENTLY_VALID_MS} (never for a guess: only a
   * token that authenticated lands here). Callers still authenticate it; this only says a lookup is worth making
   * for a client that is over its failure budget.
   */
  wasRecentlyValid(token: string): boolean {
    if (!isWellFormedToken(token)) return false;
    const at = this.recentlyValid.get(hashToken(token));
    return at !== undefined && this.now() - at <= RECENTLY_VALID_MS;
  }

  /**
   * Resolves a bearer token. Throws UNAUTHENTICATED for anything that is not a live token — malformed,
   * unknown, expired or revoked — with a message that says which, without revealing which tokens exist.
   */
  async authenticate(token: string): Promise<TokenPrincipal> {
    if (!isWellFormedToken(token)) throw new AppError('UNAUTHENTICATED', 'Invalid API token');
    const hash = hashToken(token);
    const now = this.now();
    let entry = this.cache.get(hash);
    if (!entry || now - entry.at > CACHE_TTL_MS) {
      const row = await this.db.selectFrom('api_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      entry = row
        ? {
            principal: { id: row.id, name: row.name, scopes: new Set(fromJson<string[]>(row.scopes, [])), tenantId: row.tenant_id },
            expiresAt: row.expires_at,
            revoked: row.revoked_at !== null,
            at: now,
          }
        : { principal: null, expiresAt: null, revoked: false, at: now };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, entry);
    }
    if (!entry.principal) throw new AppError('UNAUTHENTICATED', 'Invalid API token');
    if (entry.revoked) throw new AppError('UNAUTHENTICATED', 'API token has been revoked');
    if (entry.expiresAt !== null && entry.expiresAt <= now) throw new AppError('UNAUTHENTICATED', 'API token has expired');
    this.touch(entry.principal.id, now);
    if (this.recentlyValid.size >= 10_000) this.recentlyValid.clear();
    this.recentlyValid.set(hash, now);
    return entry.principal;
  }

  /** Writes last-used at most once a minute per token per instance, off the request path. */
  private touch(id: string, now: number): void {
    const last = this.lastUsedWritten.get(id) ?? 0;
    if (now - last < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastUsedWritten.set(id, now);
    void this.db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .execute()
      .catch(() => undefined);
  }
}

export function parseScopes(text: string): Scope[] {
  if (text.trim() === 'all') return [...SCOPES];
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new AppError('INVALID_INPUT', `Unknown scope(s): ${unknown.join(', ')}. Known scopes: ${SCOPES.join(', ')}, or "all"`);
  if (scopes.length === 0) throw new AppError('INVALID_INPUT', 'At least one scope is required');
  return scopes as Scope[];
}

function toView(r: Database['api_tokens']): TokenView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: fromJson<string[]>(r.scopes, []),
    tenantId: r.tenant_id,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    createdBy: r.created_by,
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
    lastUsedAt: iso(r.last_used_at),
  };
}
