import 'server-only';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log';
import { type DatabaseHandle, isUniqueViolation } from '../db/client';
import { type Page, type PageRequest, afterKey, decodeCursor, toPage } from '../db/keyset-page';
import type { Database } from '../db/schema';
import { AppError, isAppError } from '../errors';
import type { Caller } from '../auth/caller';
import { type TenantAccess, canSee, tenantAccessOf, tenantNotFound } from './tenant-access';
import type { TenantTable } from '../db/tables/tenant.tables';
import type { CreateTenantInput, TenantView, UpdateTenantInput } from './tenants.schemas';

type Usage = TenantView['usage'];
/** What a read needs of its caller: the tenant restriction. Another domain passes its own {@link Caller}. */
type Scope = Pick<Caller, 'tenantId'>;
const EVERY_TENANT: Scope = { tenantId: null };
const NO_USAGE: Usage = { inferenceServers: 0, alertRules: 0, browserSessions: 0 };

/** The tables whose rows belong to a tenant and keep it from being deleted, with how to name them. */
const OWNED = [
  { table: 'inference_servers', key: 'inferenceServers', label: ['inference server', 'inference servers'] },
  { table: 'alert_rules', key: 'alertRules', label: ['alert rule', 'alert rules'] },
  { table: 'browser_sessions', key: 'browserSessions', label: ['browser session', 'browser sessions'] },
] as const;

/**
 * Tenants: create, rename, delete, read. Every method takes the {@link Caller} first (reads need only its tenant
 * restriction, so other domains pass their own caller through); a tenant the caller may not see is NOT_FOUND.
 * Mutations are audited with the caller's label (`token:…` / `operator:…`).
 */
export class TenantService {
  constructor(
    private readonly deps: {
      database: DatabaseHandle;
      audit: AuditLog;
      now: () => number;
    },
  ) {}

  private get db(): Kysely<Database> {
    return this.deps.database.db;
  }

  async list(caller: Scope): Promise<TenantView[]> {
    const access = tenantAccessOf(caller);
    let query = this.db.selectFrom('tenants').selectAll().orderBy('name').orderBy('slug');
    if (access.restrictedTo !== null) query = query.where('id', '=', access.restrictedTo);
    const rows = await query.execute();
    const usage = await this.usage(rows.map((r) => r.id));
    return rows.map((row) => toView(row, usage.get(row.id) ?? NO_USAGE));
  }

  /** One page of {@link list}, in the same order (name, then slug, which is unique). */
  async listPage(caller: Scope, page: PageRequest): Promise<Page<TenantView>> {
    const access = tenantAccessOf(caller);
    let query = this.db
      .selectFrom('tenants')
      .selectAll()
      .orderBy('name')
      .orderBy('slug')
      .limit(page.limit + 1);
    if (access.restrictedTo !== null) query = query.where('id', '=', access.restrictedTo);
    if (page.cursor !== undefined) {
      const [name, slug] = decodeCursor('tenants', page.cursor, ['string', 'string']);
      query = query.where(
        afterKey([
          { column: 'name', direction: 'asc', value: name as string },
          { column: 'slug', direction: 'asc', value: slug as string },
        ]),
      );
    }
    const rows = await query.execute();
    const usage = await this.usage(rows.slice(0, page.limit).map((r) => r.id));
    return toPage(
      'tenants',
      rows,
      page.limit,
      (r) => [r.name, r.slug],
      (row) => toView(row, usage.get(row.id) ?? NO_USAGE),
    );
  }

  async get(caller: Scope, id: string): Promise<TenantView> {
    const row = await this.find(id, tenantAccessOf(caller));
    const usage = await this.usage([row.id]);
    return toView(row, usage.get(row.id) ?? NO_USAGE);
  }

  async findBySlug(slug: string): Promise<TenantView | null> {
    const row = await this.db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row ? this.get(EVERY_TENANT, row.id) : null;
  }

  /** Ids and names of the tenants the caller may see, by name: what other domains offer to choose from (no usage counts). */
  names(caller: Scope, options: { limit?: number } = {}): Promise<Array<{ id: string; name: string }>> {
    const access = tenantAccessOf(caller);
    let query = this.db.selectFrom('tenants').select(['id', 'name']);
    if (access.restrictedTo !== null) query = query.where('id', '=', access.restrictedTo);
    query = query.orderBy('name');
    if (options.limit !== undefined) query = query.limit(options.limit);
    return query.execute();
  }

  /** Throws NOT_FOUND unless the tenant exists and the caller may see it. */
  async assertVisible(caller: Scope, id: string): Promise<void> {
    await this.find(id, tenantAccessOf(caller));
  }

  async create(caller: Caller, input: CreateTenantInput): Promise<TenantView> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    if (access.restrictedTo !== null) throw new AppError('FORBIDDEN', 'This token is restricted to one tenant and cannot create tenants');
    const row: TenantTable = { id: randomUUID(), name: input.name, slug: input.slug, created_at: this.deps.now() };
    try {
      await this.db.insertInto('tenants').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw slugTaken(input.slug);
      throw error;
    }
    await this.deps.audit.record({ actor, action: 'tenant.create', target: row.id, outcome: 'created', detail: { name: row.name, slug: row.slug } });
    return toView(row, NO_USAGE);
  }

  /** Renames and/or re-slugs. Tokens restricted to the tenant keep working (they hold its id, not its slug). */
  async update(caller: Caller, id: string, input: UpdateTenantInput): Promise<TenantView> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    const before = await this.find(id, access);
    const changes: Partial<TenantTable> = {};
    if (input.name !== undefined && input.name !== before.name) changes.name = input.name;
    if (input.slug !== undefined && input.slug !== before.slug) changes.slug = input.slug;
    if (Object.keys(changes).length > 0) {
      try {
        await this.db.updateTable('tenants').set(changes).where('id', '=', id).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw slugTaken(input.slug ?? '');
        throw error;
      }
      await this.deps.audit.record({
        actor,
        action: 'tenant.update',
        target: id,
        outcome: 'updated',
        detail: Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, { from: before[k as keyof TenantTable], to: v }])),
      });
    }
    return this.get(caller, id);
  }

  /**
   * Deletes a tenant that owns nothing. While it still owns inference servers, alert rules or browser sessions
   * (closed sessions count: they are its history) the answer is CONFLICT naming what is left; the refusal is
   * audited too. The check and the delete share one write transaction, and the foreign keys refuse a row that
   * slips in between on PostgreSQL, which is also reported as CONFLICT.
   */
  async delete(caller: Caller, id: string): Promise<TenantView> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    if (access.restrictedTo !== null) throw new AppError('FORBIDDEN', 'This token is restricted to one tenant and cannot delete tenants');
    const row = await this.find(id, access);
    let usage: Usage = NO_USAGE;
    try {
      await this.deps.database.writeTransaction(async (trx) => {
        usage = (await usageIn(trx, [id])).get(id) ?? NO_USAGE;
        if (OWNED.some((o) => usage[o.key] > 0)) throw stillOwns(row, usage);
        await trx.deleteFrom('tenants').where('id', '=', id).execute();
      });
    } catch (error) {
      const refusal = isForeignKeyViolation(error) ? stillOwns(row, (await this.usage([id])).get(id) ?? NO_USAGE) : error;
      if (isAppError(refusal) && refusal.code === 'CONFLICT') {
        await this.deps.audit.record({ actor, action: 'tenant.delete', target: id, outcome: 'refused', detail: { slug: row.slug, reason: refusal.message } });
      }
      throw refusal;
    }
    await this.deps.audit.record({ actor, action: 'tenant.delete', target: id, outcome: 'deleted', detail: { name: row.name, slug: row.slug } });
    return toView(row, NO_USAGE);
  }

  private async find(id: string, access: TenantAccess): Promise<TenantTable> {
    if (!canSee(access, id)) throw tenantNotFound(id);
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw tenantNotFound(id);
    return row;
  }

  private usage(ids: string[]): Promise<Map<string, Usage>> {
    return usageIn(this.db, ids);
  }
}

async function usageIn(db: Kysely<Database>, ids: string[]): Promise<Map<string, Usage>> {
  const result = new Map<string, Usage>();
  if (ids.length === 0) return result;
  for (const owned of OWNED) {
    const rows = await db
      .selectFrom(owned.table)
      .select(['tenant_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('tenant_id', 'in', ids)
      .groupBy('tenant_id')
      .execute();
    for (const r of rows) {
      const usage = result.get(r.tenant_id) ?? { ...NO_USAGE };
      usage[owned.key] = Number(r.n);
      result.set(r.tenant_id, usage);
    }
  }
  return result;
}

function stillOwns(row: TenantTable, usage: Usage): AppError {
  const parts = OWNED.filter((o) => usage[o.key] > 0).map((o) => `${usage[o.key]} ${o.label[usage[o.key] === 1 ? 0 : 1]}`);
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? 'rows created meanwhile');
  return new AppError('CONFLICT', `Tenant "${row.slug}" still owns ${list}; delete them first (closed browser sessions count too)`);
}

function slugTaken(slug: string): AppError {
  return new AppError('CONFLICT', `A tenant with slug "${slug}" already exists; choose another slug`);
}

/** A write refused by a foreign key, in either dialect. */
function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

function toView(row: TenantTable, usage: Usage): TenantView {
  return { id: row.id, name: row.name, slug: row.slug, createdAt: new Date(Number(row.created_at)).toISOString(), usage: { ...usage } };
}
