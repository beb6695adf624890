import 'server-only';
import type { OutboundResult } from '../net/http-client';
import { httpStatusText } from '../net/outbound-errors';
import type { ServerKind } from '../db/tables/inference.tables';
import { type PromPage, maxOf, parsePrometheusText, sumOf } from './prometheus-text';

/** Raw counter totals kept with a sample, so the next poll can turn them into rates. */
export interface Counters {
  promptTokens?: number;
  generationTokens?: number;
  /** Time-to-first-token histogram: total seconds and number of observations. */
  ttftSumSeconds?: number;
  ttftCount?: number;
}

/** What one poll of one server found, before rates are derived. */
export interface ProbeOutcome {
  /** The kind's health endpoint answered as a healthy server of that kind does. */
  up: boolean;
  /** Why the server is down, or what part of a healthy server's answer could not be read; null when all is well. */
  error: string | null;
  requestsRunning: number | null;
  requestsWaiting: number | null;
  /** 0–100. */
  kvCacheUsagePct: number | null;
  models: string[] | null;
  counters: Counters | null;
}

/** Fetches one path under the server's base URL (API key, deadline and size cap already applied). */
export type Fetch = (path: string) => Promise<OutboundResult>;

/**
 * Per kind: which endpoints a poll reads and which metric names it looks for. The names are the ones these
 * servers expose today; where a server renamed a metric, both names are listed (newest first). docs/inference.md
 * has the same table for operators.
 */
export const PROBES: Record<ServerKind, (fetch: Fetch, baseUrl: string) => Promise<ProbeOutcome>> = {
  vllm: probeVllm,
  tgi: probeTgi,
  llamacpp: probeLlamaCpp,
  ollama: probeOllama,
  openai: probeOpenAi,
};

/** The path of the OpenAI-compatible model list: base URLs are often given with their `/v1` already. */
export function openAiModelsPath(baseUrl: string): string {
  return /\/v1\/?$/.test(new URL(baseUrl).pathname) ? '/models' : '/v1/models';
}

async function probeVllm(fetch: Fetch): Promise<ProbeOutcome> {
  const [health, metrics] = await Promise.all([fetch('/health'), fetch('/metrics')]);
  const healthy = expectStatusOk(health, 'GET /health');
  if (!healthy.ok) return down(healthy.error);
  const page = readPrometheus(metrics, 'GET /metrics', 'vllm:');
  if (!page.ok) return upWithout(page.error);
  const p = page.page;
  // vLLM ≥ 0.10 (V1 engine) reports kv_cache_usage_perc; older releases gpu_cache_usage_perc. Both are 0–1.
  const kv = maxOf(p, 'vllm:kv_cache_usage_perc') ?? maxOf(p, 'vllm:gpu_cache_usage_perc');
  return {
    up: true,
    error: null,
    requestsRunning: sumOf(p, 'vllm:num_requests_running'),
    requestsWaiting: sumOf(p, 'vllm:num_requests_waiting'),
    kvCacheUsagePct: kv === null ? null : clampPct(kv * 100),
    models: modelsFromLabel(p, 'vllm:', 'model_name'),
    counters: counters({
      promptTokens: sumOf(p, 'vllm:prompt_tokens_total'),
      generationTokens: sumOf(p, 'vllm:generation_tokens_total'),
      ttftSumSeconds: sumOf(p, 'vllm:time_to_first_token_seconds_sum'),
      ttftCount: sumOf(p, 'vllm:time_to_first_token_seconds_count'),
    }),
  };
}

async function probeTgi(fetch: Fetch): Promise<ProbeOutcome> {
  const [health, metrics, info] = await Promise.all([fetch('/health'), fetch('/metrics'), fetch('/info')]);
  const healthy = expectStatusOk(health, 'GET /health');
  if (!healthy.ok) return down(healthy.error);
  const problems: string[] = [];
  const infoJson = readJson(info, 'GET /info');
  let models: string[] | null = null;
  if (infoJson.ok) {
    const modelId = (infoJson.value as { model_id?: unknown } | null)?.model_id;
    if (typeof modelId === 'string' && modelId !== '') models = [modelId];
    else problems.push('GET /info: no model_id in the answer');
  } else problems.push(infoJson.error);
  const page = readPrometheus(metrics, 'GET /metrics', 'tgi_');
  if (!page.ok) return { ...upWithout([page.error, ...problems].join('; ')), models };
  const p = page.page;
  return {
    up: true,
    error: problems.length > 0 ? problems.join('; ') : null,
    requestsRunning: sumOf(p, 'tgi_batch_current_size'),
    requestsWaiting: sumOf(p, 'tgi_queue_size'),
    kvCacheUsagePct: null, // TGI does not expose KV-cache occupancy
    models,
    // Token totals come from the per-request histograms' sums (recorded when a request finishes); TGI has no
    // time-to-first-token metric.
    counters: counters({
      promptTokens: sumOf(p, 'tgi_request_input_length_sum'),
      generationTokens: sumOf(p, 'tgi_request_generated_tokens_sum'),
    }),
  };
}

async function probeLlamaCpp(fetch: Fetch): Promise<ProbeOutcome> {
  const [health, metrics, modelList] = await Promise.all([fetch('/health'), fetch('/metrics'), fetch('/v1/models')]);
  const healthy = expectStatusOk(health, 'GET /health');
  if (!healthy.ok) return down(healthy.error);
  const problems: string[] = [];
  const models = readModelList(modelList, 'GET /v1/models');
  if (!models.ok) problems.push(models.error);
  let page: PageResult;
  if (!metrics.ok || metrics.status !== 501) page = readPrometheus(metrics, 'GET /metrics', 'llamacpp:');
  else page = { ok: false, error: 'GET /metrics: metrics are disabled (start llama-server with --metrics)' };
  const modelNames = models.ok ? models.value : null;
  if (!page.ok) return { ...upWithout([page.error, ...problems].join('; ')), models: modelNames };
  const p = page.page;
  // kv_cache_usage_ratio (0–1) exists in older llama-server builds only; newer ones do not report KV usage.
  const kv = maxOf(p, 'llamacpp:kv_cache_usage_ratio');
  return {
    up: true,
    error: problems.length > 0 ? problems.join('; ') : null,
    requestsRunning: sumOf(p, 'llamacpp:requests_processing'),
    requestsWaiting: sumOf(p, 'llamacpp:requests_deferred'),
    kvCacheUsagePct: kv === null ? null : clampPct(kv * 100),
    models: modelNames,
    counters: counters({
      promptTokens: sumOf(p, 'llamacpp:prompt_tokens_total'),
      generationTokens: sumOf(p, 'llamacpp:tokens_predicted_total'),
    }),
  };
}

async function probeOllama(fetch: Fetch): Promise<ProbeOutcome> {
  const [version, tags] = await Promise.all([fetch('/api/version'), fetch('/api/tags')]);
  const versionJson = readJson(version, 'GET /api/version');
  if (!versionJson.ok) return down(versionJson.error);
  if (typeof (versionJson.value as { version?: unknown } | null)?.version !== 'string') {
    return down('GET /api/version: the answer has no "version" (is this an Ollama server?)');
  }
  const tagsJson = readJson(tags, 'GET /api/tags');
  if (!tagsJson.ok) return { ...upWithout(tagsJson.error) };
  const list = (tagsJson.value as { models?: unknown } | null)?.models;
  if (!Array.isArray(list)) return upWithout('GET /api/tags: the answer has no "models" list');
  const models = list.map((m: unknown) => (m as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string');
  // Ollama has no queue, KV-cache or token counters to read.
  return { up: true, error: null, requestsRunning: null, requestsWaiting: null, kvCacheUsagePct: null, models, counters: null };
}

async function probeOpenAi(fetch: Fetch, baseUrl: string): Promise<ProbeOutcome> {
  const path = openAiModelsPath(baseUrl);
  const result = await fetch(path);
  if (result.ok && (result.status === 401 || result.status === 403)) {
    return down(`GET ${path}: ${httpStatusText(result.status)} — the API key is missing, wrong or lacks access`);
  }
  const models = readModelList(result, `GET ${path}`);
  if (!models.ok) return down(models.error);
  return { up: true, error: null, requestsRunning: null, requestsWaiting: null, kvCacheUsagePct: null, models: models.value, counters: null };
}

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

function expectStatusOk(result: OutboundResult, what: string): Result<Buffer> {
  if (!result.ok) return { ok: false, error: `${what}: ${result.error}` };
  // The status only: an error page's body is the upstream's, and never travels back (net/outbound-errors.ts).
  if (result.status < 200 || result.status > 299) return { ok: false, error: `${what}: ${httpStatusText(result.status)}` };
  return { ok: true, value: result.body };
}

function readJson(result: OutboundResult, what: string): Result<unknown> {
  const body = expectStatusOk(result, what);
  if (!body.ok) return body;
  try {
    return { ok: true, value: JSON.parse(body.value.toString('utf8')) as unknown };
  } catch {
    return { ok: false, error: `${what}: the answer is not valid JSON` };
  }
}

/** `{ "data": [{ "id": … }] }`, the OpenAI model list that vLLM, llama.cpp and OpenAI-compatible gateways share. */
function readModelList(result: OutboundResult, what: string): Result<string[]> {
  const json = readJson(result, what);
  if (!json.ok) return json;
  const data = (json.value as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return { ok: false, error: `${what}: the answer has no "data" list of models` };
  return { ok: true, value: data.map((m: unknown) => (m as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string') };
}

type PageResult = { ok: true; page: PromPage } | { ok: false; error: string };

/** Reads a Prometheus page and checks it holds the kind's metrics (a wrong kind or URL is the usual cause). */
function readPrometheus(result: OutboundResult, what: string, prefix: string): PageResult {
  const body = expectStatusOk(result, what);
  if (!body.ok) return body;
  const page = parsePrometheusText(body.value.toString('utf8'));
  if (page.samples.length === 0) return { ok: false, error: `${what}: not Prometheus metrics text` };
  if (!page.samples.some((s) => s.name.startsWith(prefix))) {
    return { ok: false, error: `${what}: no ${prefix}* metrics (is the kind right?)` };
  }
  return { ok: true, page };
}

function modelsFromLabel(page: PromPage, prefix: string, label: string): string[] | null {
  const names = new Set<string>();
  for (const s of page.samples) if (s.name.startsWith(prefix) && s.labels[label]) names.add(s.labels[label]);
  return names.size === 0 ? null : [...names];
}

function counters(values: Partial<Record<keyof Counters, number | null>>): Counters | null {
  const present = Object.entries(values).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  return present.length === 0 ? null : (Object.fromEntries(present) as Counters);
}

function clampPct(value: number): number {
  return Math.min(100, Math.max(0, value));
}

function down(error: string): ProbeOutcome {
  return { up: false, error, requestsRunning: null, requestsWaiting: null, kvCacheUsagePct: null, models: null, counters: null };
}

function upWithout(error: string): ProbeOutcome {
  return { up: true, error, requestsRunning: null, requestsWaiting: null, kvCacheUsagePct: null, models: null, counters: null };
}
