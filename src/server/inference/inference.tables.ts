export interface InferenceTables {
  inference_servers: InferenceServerTable;
}

export interface InferenceServerTable {
  id: string;
  tenant_id: string;
  name: string;
  kind: string;
  base_url: string;
  api_key_enc: string | null;
  poll_interval_s: number;
  enabled: number;
  status: string;
  last_polled_at: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: number;
}
