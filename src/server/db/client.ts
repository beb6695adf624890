import 'server-only';
import path from 'node:path';
import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  Kysely,
  PostgresDialect,
  type SchemaMetadata,
  SqliteDialect,
  type TableMetadata,
  sql,
  type Transaction,
} from 'kysely';
import { createPrivateFile, securePrivateDir } from './data-dir';
import type { Database } from './schema';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Human description without secrets, e.g. "sqlite:/data/console.db" or "postgres://host:5432/db". */
  describe: string;
  /**
   * Runs `fn` in a transaction that takes the write lock up front. SQLite: BEGIN IMMEDIATE, so a transaction
   * that reads and then writes never fails to upgrade its lock ("database is locked"); PostgreSQL: an ordinary
   * transaction (callers use row locks or unique constraints where they need them).
   */
  writeTransaction<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** PostgreSQL schema; created if missing and put first on the search path. */
  schema?: string;
  dataDir: string;
  /** Max PostgreSQL connections of this process. */
  poolSize?: number;
  /** Told about DATA_DIR files whose permissions were tightened. */
  onWarning?: (message: string) => void;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openSqlite(options.dataDir, options.onWarning ?? (() => undefined));
}

async function openSqlite(dataDir: string, onWarning: (message: string) => void): Promise<DatabaseHandle> {
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  securePrivateDir(dataDir, onWarning);
  const file = path.join(dataDir, 'console.db');
  createPrivateFile(file);
  const native = new BetterSqlite3(file);
  native.pragma('journal_mode = WAL');
  native.pragma('busy_timeout = 5000');
  native.pragma('synchronous = NORMAL');
  native.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: native }) });
  return {
    db,
    dialect: 'sqlite',
    describe: `sqlite:${file}`,
    async writeTransaction(fn) {
      // Kysely's SQLite dialect has one connection guarded by a mutex; holding it for the whole callback keeps
      // other queries of this process out, and BEGIN IMMEDIATE keeps other processes' writers out.
      return db.connection().execute(async (conn) => {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`COMMIT`.execute(conn);
          return result;
        } catch (error) {
          await sql`ROLLBACK`.execute(conn).catch(() => undefined);
          throw error;
        }
      });
    },
    async close() {
      await db.destroy();
    },
  };
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<DatabaseHandle> {
  const pg = await import('pg');
  const { Pool, types } = pg.default ?? pg;
  // bigint (int8) columns hold epoch milliseconds and counts, all far below 2^53.
  const parseBigint = (value: string) => Number(value);
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? parseBigint : types.getTypeParser(oid, format))) as typeof types.getTypeParser,
    },
  });
  pool.on('error', () => undefined); // idle client errors surface on the next query instead
  if (options.schema) {
    const client = await pool.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    } finally {
      client.release();
    }
  }
  const db = new Kysely<Database>({ dialect: new ScopedPostgresDialect({ pool }) });
  const parsed = new URL(url);
  return {
    db,
    dialect: 'postgres',
    describe: `postgres://${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}${options.schema ? `#${options.schema}` : ''}`,
    writeTransaction: (fn) => db.transaction().execute((trx: Transaction<Database>) => fn(trx)),
    async close() {
      await db.destroy();
    },
  };
}

/** JSON column helpers: the text columns that hold JSON are read and written only through these. */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function fromJson<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Whether a write failed on a unique index, in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Kysely's PostgreSQL introspector lists every table and column of every schema in the database (the migrator
 * uses it to find its own tables). Another client dropping a schema or table meanwhile makes that listing fail
 * (3F000, 42P01, 42703), which broke migrations whenever other consoles or test runs shared the database. This
 * introspector answers from `information_schema` for the schemas on our own search path only, without columns,
 * which is all the migrator reads.
 */
class ScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new ScopedPostgresIntrospector(db);
  }
}

class ScopedPostgresIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const rows = await sql<{ name: string }>`select schema_name as name from information_schema.schemata`.execute(this.db);
    return rows.rows.map((r) => ({ name: r.name }));
  }

  async getTables(): Promise<TableMetadata[]> {
    const rows = await sql<{ name: string; schema: string; type: string }>`
      select table_name as name, table_schema as schema, table_type as type
      from information_schema.tables
      where table_schema = any (current_schemas(false))`.execute(this.db);
    return rows.rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.type === 'VIEW', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}
