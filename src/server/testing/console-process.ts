import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { buildIfNeeded } from '../../../scripts/build-if-needed.mjs';
import { freePort } from './free-port';
import { CONSOLE_CHILD_ENV, waitUntilServing } from './local-services';
import { TEST_OUTBOUND_ENV } from './outbound';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SERVER = path.join(ROOT, 'scripts', 'server.mjs');

/**
 * Makes sure `.next` holds a build of the current sources (process tests run the real build). `npm test` builds
 * before Vitest starts, so this is a no-op there; a direct `vitest run` builds here when the sources changed.
 */
export function ensureBuild(): void {
  if (!buildIfNeeded({ ...process.env, NEXT_TELEMETRY_DISABLED: '1' })) throw new Error('next build failed');
}

export interface ConsoleProcess {
  port: number;
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a real console (scripts/server.mjs, as `npm start` does) on a free port with the given environment; resolves once healthy. */
export async function startConsole(env: Record<string, string>): Promise<ConsoleProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER, '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, ...CONSOLE_CHILD_ENV, ...TEST_OUTBOUND_ENV, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing({ child, url, readyPath: '/api/health', label: 'console', output: () => output, timeoutMs: 30_000 });
  return {
    port,
    url,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
