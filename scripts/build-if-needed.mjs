// Builds the app with `next build` unless the build in .next was made from the current sources.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
const stampFile = path.join(root, '.next', 'source-stamp');
const INPUTS = ['src', 'public', 'next.config.mjs', 'postcss.config.mjs', 'tsconfig.json', 'package.json', 'package-lock.json'];

/** A hash of everything the build depends on: sources, configs and the lockfile. */
function sourceStamp() {
  const hash = createHash('sha256');
  const visit = (entry) => {
    const full = path.join(root, entry);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) {
      for (const child of fs.readdirSync(full).sort()) visit(path.join(entry, child));
    } else {
      hash.update(entry).update(fs.readFileSync(full));
    }
  };
  for (const entry of INPUTS) visit(entry);
  return hash.digest('hex');
}

/** Returns false (after printing why) when the build fails. */
export function buildIfNeeded(env) {
  const stamp = sourceStamp();
  const current = fs.existsSync(path.join(root, '.next', 'BUILD_ID')) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp;
  if (current) return true;
  console.log('No build of the current sources: building first (next build)…');
  const build = spawnSync(process.execPath, [nextBin, 'build'], { cwd: root, env, stdio: 'inherit' });
  if (build.status !== 0) return false;
  fs.writeFileSync(stampFile, stamp);
  return true;
}
