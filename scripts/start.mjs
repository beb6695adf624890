// `npm start`: builds when there is no build of the current sources, then serves with `next start`.
// Signals are forwarded; the console drains runs on SIGTERM/SIGINT itself (NEXT_MANUAL_SIG_HANDLE).
import { spawn } from 'node:child_process';
import { buildIfNeeded, nextBin, root } from './build-if-needed.mjs';

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_MANUAL_SIG_HANDLE: 'true' };
if (!buildIfNeeded(env)) process.exit(1);

const port = process.env.PORT ?? '3000';
const child = spawn(process.execPath, [nextBin, 'start', '-p', port], { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
