import 'server-only';
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db/client';
import type { Database } from '../db/schema';
import { AppError } from '../errors';

/**
 * The answer when a tenant owns as much as its quota allows: QUOTA_EXCEEDED (HTTP 409), naming the quota, the
 * tenant's count and the variable that raises it.
 */
export function quotaExceeded(what: string, limit: number, variable: string): AppError {
  return new AppError('QUOTA_EXCEEDED', `Quota exceeded: this tenant may have at most ${limit} ${what} (${variable}); remove some first`);
}

/**
 * Serializes quota checks of one tenant inside a write transaction, so "count, then insert" cannot let two
 * concurrent creates both pass. SQLite's write transactions (BEGIN IMMEDIATE) already exclude every other writer;
 * on PostgreSQL the tenant's row is locked `FOR NO KEY UPDATE` until the transaction ends (this does not block
 * inserts of other rows that merely reference the tenant, whose foreign-key checks take a weaker lock).
 */
export async function lockTenantForQuota(trx: Kysely<Database>, dialect: Dialect, tenantId: string): Promise<void> {
  if (dialect === 'postgres') await sql`select id from tenants where id = ${tenantId} for no key update`.execute(trx);
}
