import 'server-only';
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../errors';

/** Largest page a list endpoint answers, and the page size when `limit` is not given. */
export const PAGE_LIMIT_MAX = 500;
export const PAGE_LIMIT_DEFAULT = 100;
/** What the OpenAPI document says of every paged list. */
export const PAGE_DOC = `\`limit\` (1–${PAGE_LIMIT_MAX}, default ${PAGE_LIMIT_DEFAULT}) rows per page; \`nextCursor\` is where the next page starts (pass it as \`cursor\`), null on the last page.`;

/**
 * `limit` and `cursor` of the paged list endpoints (docs/api.md "Pagination"), to spread into a query schema.
 * Out-of-range limits are 400s naming `limit`; a cursor is checked when it is decoded.
 */
export const pageQueryShape = {
  limit: z.coerce
    .number({ error: `limit must be a whole number between 1 and ${PAGE_LIMIT_MAX}` })
    .int(`limit must be a whole number between 1 and ${PAGE_LIMIT_MAX}`)
    .min(1, `limit must be between 1 and ${PAGE_LIMIT_MAX}`)
    .max(PAGE_LIMIT_MAX, `limit must be between 1 and ${PAGE_LIMIT_MAX}`)
    .default(PAGE_LIMIT_DEFAULT),
  /** `nextCursor` of the previous page. */
  cursor: z.string().min(1, 'cursor must not be empty').max(2_000, 'cursor is not a cursor this API returned').optional(),
};

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

type KeyValue = string | number;
type KeyKind = 'string' | 'number';

/**
 * Opaque cursor: base64url of the sort key of the last row of a page, prefixed with what it pages, so a cursor of
 * one list is refused by another.
 */
export function encodeCursor(list: string, key: readonly KeyValue[]): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
}

/** The key a cursor holds, checked against the kinds of the list's sort key; INVALID_INPUT on `cursor` otherwise. */
export function decodeCursor(list: string, cursor: string, kinds: readonly KeyKind[]): KeyValue[] {
  const invalid = () =>
    new AppError('INVALID_INPUT', 'Invalid query: cursor: not a cursor this list returned', {
      issues: [{ path: 'cursor', message: 'not a cursor this list returned' }],
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== kinds.length + 1 || parsed[0] !== list) throw invalid();
  const key = parsed.slice(1) as unknown[];
  if (!key.every((v, i) => typeof v === kinds[i] && (typeof v !== 'number' || Number.isFinite(v)))) throw invalid();
  return key as KeyValue[];
}

/** One column of a keyset order and the cursor's value for it. */
export interface KeyPart {
  /** A column reference (`name`, `created_at`) or an expression of the row. */
  column: string | RawBuilder<unknown>;
  direction: 'asc' | 'desc';
  value: KeyValue;
}

/**
 * The condition "after the cursor" for a keyset order: (a, b, c) after (x, y, z) is a ▷ x, or a = x and b ▷ y, or …
 * (▷ is > for ascending and < for descending parts). With an index on the order's columns the database seeks to
 * the cursor instead of skipping rows, so every page costs the same however deep it is.
 */
export function afterKey(parts: readonly KeyPart[]): Expression<SqlBool> {
  const [first, ...rest] = parts;
  if (!first) return sql<SqlBool>`1 = 1`;
  const column = typeof first.column === 'string' ? sql.ref(first.column) : first.column;
  const beyond = sql<SqlBool>`${column} ${sql.raw(first.direction === 'asc' ? '>' : '<')} ${first.value}`;
  if (rest.length === 0) return beyond;
  return sql<SqlBool>`(${beyond} or (${column} = ${first.value} and ${afterKey(rest)}))`;
}

/**
 * Cuts `limit + 1` fetched rows to a page: the extra row only says whether there is a next page, and the cursor
 * is the key of the page's last row.
 */
export function toPage<R, T>(list: string, rows: R[], limit: number, keyOf: (row: R) => readonly KeyValue[], view: (row: R) => T): Page<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(view), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(list, keyOf(last)) : null };
}
