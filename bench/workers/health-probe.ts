// A separate process that asks GET /api/health one request at a time for a while, so the latency it sees is the
// server's and not the bench process's own event loop (busy with thousands of streams). Prints one JSON line:
// [[startedAtEpochMs, latencyMs], …]. Args: url durationMs pauseMs
import http from 'node:http';

const [url = '', durationArg = '10000', pauseArg = '10'] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const clock = () => performance.timeOrigin + performance.now();

function once(): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/api/health`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  const samples: Array<[number, number]> = [];
  const stop = clock() + Number(durationArg);
  while (clock() < stop) {
    const started = clock();
    await once();
    samples.push([started, clock() - started]);
    await new Promise((r) => setTimeout(r, Number(pauseArg)));
  }
  process.stdout.write(`${JSON.stringify(samples)}\n`);
  agent.destroy();
}

void main();
