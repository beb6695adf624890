import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/services';
import { openDatabase } from './client';

const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

describe('DATA_DIR permissions (embedded SQLite)', () => {
  it('creates the directory 0700 and the database with its journal files 0600', async () => {
    const temp = tempDir('data-dir');
    const dir = path.join(temp.dir, 'data');
    const warnings: string[] = [];
    const handle = await openDatabase({ dataDir: dir, onWarning: (m) => warnings.push(m) });
    try {
      await handle.writeTransaction(async () => undefined);
      expect(mode(dir)).toBe('700');
      for (const name of ['console.db', 'console.db-wal', 'console.db-shm']) expect([name, mode(path.join(dir, name))]).toEqual([name, '600']);
      expect(warnings).toEqual([]);
    } finally {
      await handle.close();
      temp.cleanup();
    }
  });

  it('tightens a directory and files left readable by others, and says which', async () => {
    const temp = tempDir('data-dir-wide');
    const dir = path.join(temp.dir, 'data');
    const first = await openDatabase({ dataDir: dir });
    await first.close();
    // As an earlier version (or a careless operator) would have left them.
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, 'console.db'), 0o644);
    fs.writeFileSync(path.join(dir, 'console-secret'), 'x'.repeat(64), { mode: 0o644 });
    const warnings: string[] = [];
    const handle = await openDatabase({ dataDir: dir, onWarning: (m) => warnings.push(m) });
    try {
      expect(mode(dir)).toBe('700');
      expect(mode(path.join(dir, 'console.db'))).toBe('600');
      expect(mode(path.join(dir, 'console-secret'))).toBe('600');
      expect(warnings).toEqual([
        `${dir} was readable by others (mode 755); set to 700`,
        `${path.join(dir, 'console.db')} was readable by others (mode 644); set to 600`,
        `${path.join(dir, 'console-secret')} was readable by others (mode 644); set to 600`,
      ]);
    } finally {
      await handle.close();
      temp.cleanup();
    }
  });
});
