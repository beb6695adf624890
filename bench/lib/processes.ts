import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/server/testing/free-port';
import { CONSOLE_CHILD_ENV, waitUntilServing } from '../../src/server/testing/local-services';

export const ROOT = path.resolve(__dirname, '..', '..');
export const NEXT_BIN = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
export const BARE_APP = path.join(ROOT, 'bench', 'bare-next');

/** Environment every child gets: no telemetry, and none of this process's own node flags (--expose-gc). */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

/** Builds the console with `next build` unless .next already holds a build of the current sources. */
export function buildConsole(): void {
  const script = "import('./scripts/build-if-needed.mjs').then((m) => process.exit(m.buildIfNeeded(process.env) ? 0 : 1))";
  const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: childEnv(), stdio: 'inherit' });
  if (result.status !== 0) throw new Error('next build of the console failed');
}

/** Builds the bare Next app under bench/bare-next with the same `next` (skipped when its build is newer than its sources). */
export function buildBareApp(): void {
  const buildId = path.join(BARE_APP, '.next', 'BUILD_ID');
  const newest = (dir: string): number =>
    Math.max(
      ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
        const full = path.join(dir, e.name);
        return e.isDirectory() ? (e.name === '.next' ? 0 : newest(full)) : fs.statSync(full).mtimeMs;
      }),
    );
  if (fs.existsSync(buildId) && fs.statSync(buildId).mtimeMs > Math.max(newest(BARE_APP), fs.statSync(NEXT_BIN).mtimeMs)) return;
  const result = spawnSync(process.execPath, [NEXT_BIN, 'build', BARE_APP], { cwd: ROOT, env: childEnv(), stdio: 'inherit' });
  if (result.status !== 0) throw new Error('next build of bench/bare-next failed');
}

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const started = new Set<ServerProcess>();

/**
 * Starts `next start` for `dir` on 127.0.0.1 and a free port, and waits until `readyPath` answers 200 (the
 * console's /api/health answers once its container is built, i.e. migrations ran).
 */
export async function startNext(options: {
  dir?: string;
  env?: Record<string, string>;
  readyPath: string;
  label: string;
  consoleServer?: boolean;
}): Promise<ServerProcess> {
  const port = await freePort();
  // consoleServer: the console's own server (scripts/server.mjs, what `npm start` runs) instead of `next start`.
  const args = options.consoleServer
    ? [path.join(ROOT, 'scripts', 'server.mjs'), '--port', String(port), '--hostname', '127.0.0.1']
    : [NEXT_BIN, 'start', ...(options.dir ? [options.dir] : []), '-p', String(port), '-H', '127.0.0.1'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: childEnv({ ...CONSOLE_CHILD_ENV, ...options.env, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing({ child, url, readyPath: options.readyPath, label: options.label, output: () => output, timeoutMs: 60_000 });
  const server: ServerProcess = {
    url,
    pid: child.pid ?? -1,
    child,
    output: () => output,
    async stop() {
      started.delete(server);
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  started.add(server);
  return server;
}

/** Kills whatever this run started and is still running (on errors and Ctrl-C). */
export function killStarted(): void {
  for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  started.clear();
}

/** Resident set size of one process, from /proc (bytes). */
export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Proportional set size (shared pages split among their sharers), so a process tree's figures add up (bytes). */
export function pssOf(pid: number): number {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0; // exited meanwhile
  }
}

/** The pids of a process and all its descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command may hold spaces and parentheses: the fields after the last ')' are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const visit = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  visit(root);
  return out;
}

/** PSS of a process tree, optionally only the processes whose command line matches (bytes). */
export function treePss(root: number, match?: RegExp): number {
  let total = 0;
  for (const pid of processTree(root)) {
    if (match) {
      let cmd = '';
      try {
        cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!match.test(cmd)) continue;
    }
    total += pssOf(pid);
  }
  return total;
}
