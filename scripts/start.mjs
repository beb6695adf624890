// `npm start`: builds when there is no build of the current sources, then serves with scripts/server.mjs (Next.js
// behind a server that sets the client's address from the socket, never from headers the client sent).
// Signals are forwarded; the console drains runs on SIGTERM/SIGINT itself (NEXT_MANUAL_SIG_HANDLE).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildIfNeeded, root } from './build-if-needed.mjs';

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_MANUAL_SIG_HANDLE: 'true' };
if (!buildIfNeeded(env)) process.exit(1);

const port = process.env.PORT ?? '3000';
const child = spawn(process.execPath, [path.join(root, 'scripts', 'server.mjs'), '--port', port], { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
