import { summary } from './lib/load';
import { type ServerProcess, startNext } from './lib/processes';
import { compare, fmt, newTable, note } from './lib/report';
import { type SseMessage, openSse } from './lib/sse';
import { createToken, postgresTopology } from './lib/services';
import { sleep } from './lib/stats';
import { type LiveMessage, applyLiveMessage } from '../src/shared/live-message';
import type { BenchOptions, Services } from './options';
import { signIn } from './lib/sign-in';

const KEY = 'inference-monitoring-poll';
const PASSWORD = 'bench-propagation-password';

interface ViewLike {
  key: string;
  state: string;
}

/** The list after one onChange message (a snapshot, or a delta merged into `before`), or null for other events. */
function viewsOf(message: SseMessage, before: ViewLike[] | null): ViewLike[] | null {
  if (message.event !== 'message') return null;
  try {
    const value = JSON.parse(message.data) as LiveMessage<ViewLike>;
    if (value.kind !== 'snapshot' && value.kind !== 'delta') return null;
    return applyLiveMessage(before ?? undefined, value, (v) => v.key);
  } catch {
    return null;
  }
}

/**
 * Benchmark 5: REST pause on instance A until instance B's onChange subscriber (SSE, signed-in session) receives a
 * list in which the automation is paused; then resume likewise. PostgreSQL + Redis, two real consoles.
 */
export async function propagationBenchmark(options: BenchOptions, services: Services): Promise<void> {
  if (!services.postgres || !services.redis) throw new Error('needs PostgreSQL and Redis');
  const trials = options.quick ? 40 : 200;
  const topology = postgresTopology('live', { redis: true });
  const token = await createToken(topology, 'bench-live');
  const env = { ...topology.env, CONSOLE_ADMIN_PASSWORD: PASSWORD, API_RATE_LIMIT_PER_MINUTE: '100000000' };
  const servers: ServerProcess[] = [];
  let stream: { close(): void } | null = null;
  try {
    servers.push(await startNext({ label: 'console A', readyPath: '/api/health', env: { ...env, INSTANCE_ID: 'bench-live-a' } }));
    servers.push(await startNext({ label: 'console B', readyPath: '/api/health', env: { ...env, INSTANCE_ID: 'bench-live-b' } }));
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const cookie = await signIn(b, PASSWORD);

    let waiter: { want: boolean; resolve: (at: number) => void } | null = null;
    let received = 0;
    let current: ViewLike[] | null = null;
    stream = await openSse(`${b.url}/api/trpc/automations.onChange`, { cookie }, (message) => {
      const views = viewsOf(message, current);
      if (!views) return;
      current = views;
      received++;
      const paused = views.find((v) => v.key === KEY)?.state === 'paused';
      if (waiter && paused === waiter.want) {
        const w = waiter;
        waiter = null;
        w.resolve(message.at);
      }
    });
    const seen = (want: boolean, timeoutMs: number) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = null;
          reject(new Error(`instance B did not show ${KEY} ${want ? 'paused' : 'unpaused'} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = {
          want,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
      });
    const call = async (on: ServerProcess, action: 'pause' | 'resume') => {
      const res = await fetch(`${on.url}/api/client/v1/automations/${KEY}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${action} answered ${res.status}`);
      return performance.now();
    };
    // Let the stream's first message (the current list) arrive.
    const deadline = Date.now() + 10_000;
    while (received === 0 && Date.now() < deadline) await sleep(20);

    /** Pause on `on`, then resume: the time until B's stream shows each, from sending and from the answer. */
    const trial = async (on: ServerProcess) => {
      let sent = performance.now();
      let arrived = seen(true, 5_000);
      const answered = await call(on, 'pause');
      const pausedAt = await arrived;
      const result = { fromSend: pausedAt - sent, fromAnswer: pausedAt - answered, resume: 0 };
      sent = performance.now();
      arrived = seen(false, 5_000);
      await call(on, 'resume');
      result.resume = (await arrived) - sent;
      // A little idle time between trials, as between operators' clicks (and past the stream's 50 ms debounce).
      await sleep(20);
      return result;
    };
    const cross: Array<{ fromSend: number; fromAnswer: number; resume: number }> = [];
    const local: Array<{ fromSend: number; fromAnswer: number; resume: number }> = [];
    const stop = Date.now() + 5 * 60_000;
    for (let i = 0; i < trials && Date.now() < stop; i++) {
      // Interleaved: the same-instance baseline (pause on B itself) and the cross-instance candidate.
      local.push(await trial(b));
      cross.push(await trial(a));
    }
    const p = summary(cross.map((t) => t.fromSend));
    const q = summary(cross.map((t) => t.fromAnswer));
    const r = summary(cross.map((t) => t.resume));
    const l = summary(local.map((t) => t.fromSend));
    process.stdout.write(
      `  pause on A → B: p50 ${fmt(p.p50, 1)} ms, p95 ${fmt(p.p95, 1)} ms (from A's answer p50 ${fmt(q.p50, 1)}, p95 ${fmt(q.p95, 1)}); pause on B → B: p50 ${fmt(l.p50, 1)}, p95 ${fmt(l.p95, 1)} ms; ${p.n} trials\n`,
    );

    const table = newTable(
      'propagation',
      `5. Live propagation — REST pause on instance A → onChange event on instance B (PostgreSQL + Redis, ${p.n} trials)`,
      "Two consoles (`next start`) on one PostgreSQL schema and one Redis prefix. A subscriber signed in on B reads GET /api/trpc/automations.onChange (SSE). Time from sending the pause until B's stream delivers a list in which the automation is paused: it includes the pause itself (write, audit, publish), the Redis fan-out, B's view refresh and the stream's 50 ms debounce. Baseline, interleaved: the same pause sent to B itself (no fan-out).",
      { baseline: 'pause on B → B', candidate: 'pause on A → B' },
    );
    compare(table, 'p50', l.p50, p.p50, { unit: 'ms', digits: 1 });
    compare(table, 'p95', l.p95, p.p95, { unit: 'ms', digits: 1 });
    note(table, 'p95 of pause on A → B', `${fmt(p.p95, 1)} ms`, { target: '< 200 ms', ok: p.p95 < 200 });
    note(table, 'max of pause on A → B', `${fmt(Math.max(...cross.map((t) => t.fromSend)), 1)} ms`);
    note(table, "from A's answer → B, p50 / p95", `${fmt(q.p50, 1)} / ${fmt(q.p95, 1)} ms`);
    note(table, 'resume on A → B, p50 / p95', `${fmt(r.p50, 1)} / ${fmt(r.p95, 1)} ms`);
  } finally {
    stream?.close();
    for (const s of servers) await s.stop();
    await topology.cleanup();
  }
}
