import 'server-only';
import fs from 'node:fs';
import path from 'node:path';

/** What DATA_DIR holds that no other local user may read: the database with its journal files, and the secret. */
export const PRIVATE_FILES = ['console.db', 'console.db-wal', 'console.db-shm', 'console-secret'] as const;

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Creates DATA_DIR readable by its owner only, and tightens a directory or private file that an earlier version
 * (or an operator) left readable by group or others, reporting each one. The database file is created 0600 before
 * SQLite opens it; SQLite creates the -wal and -shm files with the database file's mode.
 */
export function securePrivateDir(dir: string, onWarning: (message: string) => void): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  tighten(dir, DIR_MODE, onWarning);
  for (const name of PRIVATE_FILES) tighten(path.join(dir, name), FILE_MODE, onWarning);
}

/** Creates `file` empty with mode 0600 unless it exists (an empty file is a valid empty SQLite database). */
export function createPrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', FILE_MODE));
}

function tighten(target: string, mode: number, onWarning: (message: string) => void): void {
  let current: number;
  try {
    current = fs.statSync(target).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((current & ~mode) === 0) return;
  fs.chmodSync(target, mode);
  onWarning(`${target} was readable by others (mode ${current.toString(8)}); set to ${mode.toString(8)}`);
}
