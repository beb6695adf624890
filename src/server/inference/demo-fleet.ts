import 'server-only';
import http from 'node:http';
import type net from 'node:net';
import type { ServerKind } from '../db/tables/inference.tables';

/** The bearer key the simulated OpenAI-compatible endpoint accepts (it also accepts none: see docs). */
export const DEMO_API_KEY = 'demo-fleet-key';

/** Paths under the fleet's root, one per kind; a demo server's base URL is `<root>/<kind>`. */
export const DEMO_KINDS: readonly ServerKind[] = ['vllm', 'tgi', 'llamacpp', 'ollama', 'openai'];

/** The simulated TGI server "restarts" for this long every RESTART_EVERY_MS, to show a server going down and back. */
const RESTART_EVERY_MS = 10 * 60_000;
const RESTART_FOR_MS = 45_000;

/**
 * A small HTTP server that answers like one server of each kind — same paths, same formats, same metric names —
 * with load that moves over time (a slow wave plus noise), counters that only grow, and a TGI instance that goes
 * down for a while every ten minutes (its counters start again, like a real restart). It lets a newcomer watch
 * the poll do real HTTP work without any inference server of their own.
 *
 * Numbers are derived from the clock, so every instance of a scaled-out console serves the same curves.
 */
export class DemoFleet {
  private server: http.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private rootUrl: string | null = null;

  constructor(private readonly options: { host: string; port: number; now?: () => number }) {}

  /** `http://host:port`, while running. */
  get baseUrl(): string | null {
    return this.rootUrl;
  }

  /** Starts listening; resolves with the root URL. Starting twice is a no-op. */
  async start(): Promise<string> {
    if (this.rootUrl) return this.rootUrl;
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as net.AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.server = server;
    this.rootUrl = `http://${host}:${address.port}`;
    return this.rootUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.rootUrl = null;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const now = (this.options.now ?? Date.now)();
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    const [, kind, ...rest] = path.split('/');
    const sub = `/${rest.join('/')}`;
    const send = (status: number, body: string, type: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const json = (body: unknown, status = 200) => send(status, JSON.stringify(body), 'application/json');
    const text = (body: string) => send(200, body, 'text/plain; version=0.0.4; charset=utf-8');
    if (req.method !== 'GET') return json({ error: 'method not allowed' }, 405);

    switch (`${kind} ${sub}`) {
      case 'vllm /health':
        return send(200, '', 'text/plain');
      case 'vllm /metrics':
        return text(vllmMetrics(now));
      case 'tgi /health':
        return tgiRestarting(now)
          ? json({ error: 'Request failed during generation: Server error: shard 0 restarting', error_type: 'generation' }, 503)
          : send(200, '', 'text/plain');
      case 'tgi /metrics':
        return tgiRestarting(now) ? json({ error: 'restarting' }, 503) : text(tgiMetrics(now));
      case 'tgi /info':
        return json({ model_id: 'mistralai/Mistral-7B-Instruct-v0.3', model_dtype: 'torch.float16', max_concurrent_requests: 128, version: '3.3.4' });
      case 'llamacpp /health':
        return json({ status: 'ok' });
      case 'llamacpp /metrics':
        return text(llamaCppMetrics(now));
      case 'llamacpp /v1/models':
        return json({ object: 'list', data: [{ id: 'qwen2.5-7b-instruct-q4_k_m.gguf', object: 'model', owned_by: 'llamacpp' }] });
      case 'ollama /api/version':
        return json({ version: '0.9.6' });
      case 'ollama /api/tags':
        return json({
          models: [
            {
              name: 'llama3.2:3b',
              model: 'llama3.2:3b',
              size: 2_019_393_189,
              digest: 'a80c4f17acd5',
              details: { family: 'llama', parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
            },
            {
              name: 'nomic-embed-text:latest',
              model: 'nomic-embed-text:latest',
              size: 274_302_450,
              digest: '0a109f422b47',
              details: { family: 'nomic-bert', parameter_size: '137M', quantization_level: 'F16' },
            },
          ],
        });
      case 'openai /v1/models': {
        // Like a gateway with optional auth: no key is accepted, a wrong key is not.
        const auth = req.headers.authorization;
        if (auth !== undefined && auth !== `Bearer ${DEMO_API_KEY}`) {
          return json({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }, 401);
        }
        return json({
          object: 'list',
          data: ['gpt-4o-mini', 'text-embedding-3-small'].map((id) => ({ id, object: 'model', created: 1_715_367_049, owned_by: 'system' })),
        });
      }
      default:
        return json({ error: `demo fleet: no ${path}` }, 404);
    }
  }
}

/** 0–1: a five-minute wave, a slower one-hour drift, and a little deterministic jitter. */
function load(now: number, phase: number): number {
  const t = now / 1000;
  const wave = 0.5 + 0.3 * Math.sin((2 * Math.PI * t) / 300 + phase) + 0.15 * Math.sin((2 * Math.PI * t) / 3_600 + phase * 2);
  const jitter = 0.05 * Math.sin(t * 1.7 + phase * 5) * Math.cos(t * 0.31);
  return Math.min(1, Math.max(0, wave + jitter));
}

/**
 * A counter's value at `now`: the integral since `since` of `rate * (1 + swing * sin(2πt/300 s + phase))`, in closed
 * form, so it only grows (swing < 1), moves with the five-minute wave, and every instance computes the same value.
 */
function counter(now: number, since: number, ratePerSecond: number, swing = 0.6, phase = 0): number {
  const seconds = Math.max(0, (now - since) / 1000);
  const period = 300;
  const wave = ((swing * period) / (2 * Math.PI)) * (Math.cos(phase) - Math.cos((2 * Math.PI * seconds) / period + phase));
  return ratePerSecond * (seconds + wave);
}

const EPOCH = Date.UTC(2025, 0, 1);

function tgiRestarting(now: number): boolean {
  return (now - EPOCH) % RESTART_EVERY_MS < RESTART_FOR_MS;
}

function vllmMetrics(now: number): string {
  const model = 'meta-llama/Llama-3.1-8B-Instruct';
  const l = load(now, 0);
  const labels = `engine="0",model_name="${model}"`;
  // First tokens arrive at 4/s on average; their summed latency grows at 0.2 s/s with a shifted wave, so the
  // mean TTFT between two polls moves between roughly 70 and 600 ms.
  const ttftCount = Math.floor(counter(now, EPOCH, 4, 0.5));
  const ttftSum = Math.round(counter(now, EPOCH, 0.8, 0.5, 1) * 1000) / 1000;
  return [
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{${labels}} ${Math.round(2 + 30 * l)}.0`,
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{${labels}} ${Math.max(0, Math.round(40 * (l - 0.6)))}.0`,
    '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
    '# TYPE vllm:kv_cache_usage_perc gauge',
    `vllm:kv_cache_usage_perc{${labels}} ${(0.1 + 0.85 * l).toFixed(4)}`,
    '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
    '# TYPE vllm:prompt_tokens_total counter',
    `vllm:prompt_tokens_total{${labels}} ${Math.floor(counter(now, EPOCH, 2_400))}.0`,
    '# HELP vllm:generation_tokens_total Number of generation tokens processed.',
    '# TYPE vllm:generation_tokens_total counter',
    `vllm:generation_tokens_total{${labels}} ${Math.floor(counter(now, EPOCH, 900))}.0`,
    '# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.',
    '# TYPE vllm:time_to_first_token_seconds histogram',
    `vllm:time_to_first_token_seconds_bucket{${labels},le="0.1"} ${Math.floor(ttftCount * 0.3)}.0`,
    `vllm:time_to_first_token_seconds_bucket{${labels},le="0.5"} ${Math.floor(ttftCount * 0.9)}.0`,
    `vllm:time_to_first_token_seconds_bucket{${labels},le="+Inf"} ${ttftCount}.0`,
    `vllm:time_to_first_token_seconds_count{${labels}} ${ttftCount}.0`,
    `vllm:time_to_first_token_seconds_sum{${labels}} ${ttftSum}`,
    '',
  ].join('\n');
}

function tgiMetrics(now: number): string {
  const l = load(now, 2);
  // Counters begin again after each simulated restart.
  const since = now - ((now - EPOCH) % RESTART_EVERY_MS) + RESTART_FOR_MS;
  const requests = Math.floor(counter(now, since, 3));
  return [
    '# TYPE tgi_batch_current_size gauge',
    `tgi_batch_current_size ${Math.round(1 + 24 * l)}`,
    '# TYPE tgi_batch_current_max_tokens gauge',
    `tgi_batch_current_max_tokens ${Math.round(4_000 + 20_000 * l)}`,
    '# TYPE tgi_queue_size gauge',
    `tgi_queue_size ${Math.max(0, Math.round(30 * (l - 0.55)))}`,
    '# TYPE tgi_request_count counter',
    `tgi_request_count ${requests}`,
    '# TYPE tgi_request_success counter',
    `tgi_request_success ${requests}`,
    '# TYPE tgi_request_input_length histogram',
    `tgi_request_input_length_bucket{le="+Inf"} ${requests}`,
    `tgi_request_input_length_sum ${Math.floor(counter(now, since, 1_500))}`,
    `tgi_request_input_length_count ${requests}`,
    '# TYPE tgi_request_generated_tokens histogram',
    `tgi_request_generated_tokens_bucket{le="+Inf"} ${requests}`,
    `tgi_request_generated_tokens_sum ${Math.floor(counter(now, since, 600))}`,
    `tgi_request_generated_tokens_count ${requests}`,
    '',
  ].join('\n');
}

function llamaCppMetrics(now: number): string {
  const l = load(now, 4);
  return [
    '# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.',
    '# TYPE llamacpp:prompt_tokens_total counter',
    `llamacpp:prompt_tokens_total ${Math.floor(counter(now, EPOCH, 300))}`,
    '# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.',
    '# TYPE llamacpp:tokens_predicted_total counter',
    `llamacpp:tokens_predicted_total ${Math.floor(counter(now, EPOCH, 120))}`,
    '# HELP llamacpp:requests_processing Number of requests processing.',
    '# TYPE llamacpp:requests_processing gauge',
    `llamacpp:requests_processing ${Math.round(4 * l)}`,
    '# HELP llamacpp:requests_deferred Number of requests deferred.',
    '# TYPE llamacpp:requests_deferred gauge',
    `llamacpp:requests_deferred ${Math.max(0, Math.round(6 * (l - 0.7)))}`,
    '# HELP llamacpp:kv_cache_usage_ratio KV-cache usage. 1 means 100 percent usage.',
    '# TYPE llamacpp:kv_cache_usage_ratio gauge',
    `llamacpp:kv_cache_usage_ratio ${(0.05 + 0.6 * l).toFixed(4)}`,
    '',
  ].join('\n');
}
