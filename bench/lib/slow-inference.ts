import { type ChildProcess, spawn } from 'node:child_process';
import { childEnv } from './processes';

/**
 * A fixture fleet in its own process on 127.0.0.1: every path prefix is one vLLM-like server whose /health and
 * /metrics answer after `delayMs`. One process serves all of them, so 1,000 "servers" need no 1,000 ports.
 */
const SOURCE = `
const http = require('node:http');
const delay = Number(process.argv[1]);
let requests = 0;
const labels = 'engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"';
const page = (n) => [
  '# TYPE vllm:num_requests_running gauge', 'vllm:num_requests_running{' + labels + '} 7.0',
  '# TYPE vllm:num_requests_waiting gauge', 'vllm:num_requests_waiting{' + labels + '} 2.0',
  '# TYPE vllm:kv_cache_usage_perc gauge', 'vllm:kv_cache_usage_perc{' + labels + '} 0.4213',
  '# TYPE vllm:prompt_tokens_total counter', 'vllm:prompt_tokens_total{' + labels + '} ' + (100000 + n * 50) + '.0',
  '# TYPE vllm:generation_tokens_total counter', 'vllm:generation_tokens_total{' + labels + '} ' + (50000 + n * 20) + '.0',
  '# TYPE vllm:time_to_first_token_seconds histogram',
  'vllm:time_to_first_token_seconds_sum{' + labels + '} ' + (12.5 + n) + '',
  'vllm:time_to_first_token_seconds_count{' + labels + '} ' + (100 + n * 4) + '.0', ''].join('\\n');
const server = http.createServer((req, res) => {
  requests++;
  const n = requests;
  setTimeout(() => {
    if (req.url.endsWith('/health')) { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(''); return; }
    if (req.url.endsWith('/metrics')) { res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }); res.end(page(n)); return; }
    res.writeHead(404); res.end();
  }, delay);
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

export async function startSlowFleet(delayMs: number): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SOURCE, String(delayMs)], { env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fixture fleet exited with ${code}`)));
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
