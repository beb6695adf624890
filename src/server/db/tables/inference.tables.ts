import 'server-only';
import type { OutboundReach } from '../../net/outbound.config';
import type { ServerKind, ServerStatus } from '../../../shared/server-kinds';

export interface InferenceTables {
  inference_servers: InferenceServerTable;
  inference_samples: InferenceSampleTable;
}

export { SERVER_KINDS, type ServerKind, type ServerStatus } from '../../../shared/server-kinds';

export interface InferenceServerTable {
  id: string;
  tenant_id: string;
  name: string;
  kind: ServerKind;
  /** Kept with its path prefix: `http://gw/team-a/vllm` polls `http://gw/team-a/vllm/metrics`. */
  base_url: string;
  /** Who set base_url last: what polls of it may reach (net/outbound.config.ts). */
  reach: OutboundReach;
  /** API key encrypted at rest (never returned by any surface), bound to the server and base_url's origin. */
  api_key_enc: string | null;
  poll_interval_s: number;
  enabled: number;
  status: ServerStatus;
  last_polled_at: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * One row per poll of one server. Numeric fields are null when the server's kind does not expose them or the
 * poll failed. Rates come from counter deltas between this poll and the previous one.
 */
export interface InferenceSampleTable {
  id: string;
  server_id: string;
  tenant_id: string;
  /** When the poll finished (epoch ms). */
  at: number;
  /** 1 when the server answered its health/metrics endpoints, else 0. */
  up: number;
  latency_ms: number | null;
  requests_running: number | null;
  requests_waiting: number | null;
  /** KV-cache usage as a percentage 0–100. */
  kv_cache_usage_pct: number | null;
  prompt_tokens_per_s: number | null;
  generation_tokens_per_s: number | null;
  /** Mean time to first token over the interval since the previous poll, in milliseconds. */
  ttft_ms: number | null;
  /** JSON array of model names the server reports. */
  models: string | null;
  /** Raw counter totals (JSON) kept to derive the next poll's rates. */
  counters: string | null;
  error: string | null;
}
