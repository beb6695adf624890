import { type ChildProcess, spawn } from 'node:child_process';
import { childEnv } from './processes';

/**
 * The machine's ceiling: a bare node:http server (in its own process, like `next start`) on 127.0.0.1 answering
 * every request with a fixed JSON body of `bytes` bytes.
 */
const SOURCE = `
const http = require('node:http');
const bytes = Number(process.argv[1]);
const body = JSON.stringify({ padding: 'x'.repeat(Math.max(0, bytes - 14)) });
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

export async function startBareHttp(bytes: number): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SOURCE, String(bytes)], { env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bare node:http server exited with ${code}`)));
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
