import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAppError } from '../errors';
import { decodeCursor, encodeCursor, pageQueryShape, toPage } from './keyset-page';

const query = z.strictObject(pageQueryShape);

describe('keyset pages', () => {
  it('round-trips a key through an opaque base64url cursor', () => {
    const cursor = encodeCursor('tenants', ['Acme, Inc.', 'acme']);
    expect(cursor).toMatch(/^[\w-]+$/);
    expect(decodeCursor('tenants', cursor, ['string', 'string'])).toEqual(['Acme, Inc.', 'acme']);
    expect(decodeCursor('incidents', encodeCursor('incidents', [1, 1_764_000_000_000, 'id']), ['number', 'number', 'string'])).toEqual([
      1,
      1_764_000_000_000,
      'id',
    ]);
  });

  it('refuses cursors of another list, of another shape, or not cursors at all, as INVALID_INPUT on cursor', () => {
    const cases = [
      encodeCursor('tenants', ['a', 'b']), // another list
      encodeCursor('inference-servers', ['a']), // too short
      encodeCursor('inference-servers', ['a', 2]), // wrong kind
      'not-a-cursor',
      Buffer.from('{"a":1}').toString('base64url'),
    ];
    for (const cursor of cases) {
      let caught: unknown;
      try {
        decodeCursor('inference-servers', cursor, ['string', 'string']);
      } catch (error) {
        caught = error;
      }
      expect(isAppError(caught) && caught.code === 'INVALID_INPUT' && caught.details.issues?.[0]?.path === 'cursor', cursor).toBe(true);
    }
  });

  it('limit defaults to 100 and must be 1–500', () => {
    expect(query.parse({})).toEqual({ limit: 100 });
    expect(query.parse({ limit: '500', cursor: 'x' })).toEqual({ limit: 500, cursor: 'x' });
    for (const limit of ['0', '501', '1.5', 'ten']) {
      const parsed = query.safeParse({ limit });
      expect(parsed.success, limit).toBe(false);
      expect(parsed.error?.issues[0]?.path, limit).toEqual(['limit']);
    }
  });

  it('cuts limit + 1 rows to a page whose cursor is its last key; no cursor on the last page', () => {
    const rows = [1, 2, 3, 4].map((n) => ({ n }));
    const page = toPage(
      'numbers',
      rows,
      3,
      (r) => [r.n],
      (r) => r.n * 10,
    );
    expect(page.items).toEqual([10, 20, 30]);
    expect(page.nextCursor && decodeCursor('numbers', page.nextCursor, ['number'])).toEqual([3]);
    expect(
      toPage(
        'numbers',
        rows.slice(0, 3),
        3,
        (r) => [r.n],
        (r) => r.n,
      ).nextCursor,
    ).toBeNull();
  });
});
