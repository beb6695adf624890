import 'server-only';
import { type RawBuilder, sql } from 'kysely';

export type CaseType = 'DOUBLE PRECISION' | 'BIGINT' | 'TEXT';

/**
 * `CASE id WHEN … THEN … END` with typed branches: one UPDATE gives many rows each its own value. The same SQL
 * runs on SQLite and PostgreSQL (the CAST tells PostgreSQL the parameters' type).
 */
export function caseById<T extends number | string | null>(values: Array<[string, T]>, type: CaseType): RawBuilder<T> {
  const branches = values.map(([id, v]) => sql`WHEN ${id} THEN CAST(${v} AS ${sql.raw(type)})`);
  return sql<T>`CASE id ${sql.join(branches, sql` `)} END`;
}
