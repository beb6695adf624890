import type { Generated } from 'kysely';

/**
 * Table types shared by both dialects. Times are epoch milliseconds (bigint in PostgreSQL, integer in SQLite),
 * booleans are 0/1 integers and JSON is text, so one query layer serves SQLite and PostgreSQL unchanged.
 */
export interface Database {
  automation_pauses: AutomationPauseTable;
  automation_runs: AutomationRunTable;
  api_tokens: ApiTokenTable;
  operators: OperatorTable;
  operator_sessions: OperatorSessionTable;
  audit_log: AuditLogTable;
  instances: InstanceTable;
  tenants: TenantTable;
  inference_servers: InferenceServerTable;
  alert_rules: AlertRuleTable;
  notification_outbox: NotificationOutboxTable;
  browser_sessions: BrowserSessionTable;
}

/** One row per automation that was ever paused; `paused` says whether the pause is in force. */
export interface AutomationPauseTable {
  automation_key: string;
  paused: number;
  paused_at: number | null;
  paused_by: string | null;
  reason: string | null;
  /** The pause ends by itself at this time (epoch ms), if set. */
  until: number | null;
  resumed_at: number | null;
  resumed_by: string | null;
}

export type RunTrigger = 'schedule' | 'api' | 'console' | 'boot';
export type RunOutcome = 'running' | 'succeeded' | 'failed' | 'abandoned';

export interface AutomationRunTable {
  id: string;
  automation_key: string;
  trigger: RunTrigger;
  actor: string | null;
  instance_id: string;
  /** Scheduled fire time (ISO) for schedule runs, suffixed with the instance for per-instance automations. */
  slot: string | null;
  fence: number;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  outcome: RunOutcome;
  error: string | null;
  metrics: string | null;
  /** While running: when the run's lease lapses unless renewed; a lapsed running row is abandoned. */
  lease_expires_at: number;
}

export interface ApiTokenTable {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: string;
  tenant_id: string | null;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export type OperatorRole = 'admin' | 'viewer';

export interface OperatorTable {
  id: string;
  email: string;
  password_hash: string;
  role: OperatorRole;
  created_at: number;
  disabled_at: number | null;
}

export interface OperatorSessionTable {
  /** SHA-256 of the cookie value; the cookie itself is never stored. */
  id_hash: string;
  operator_id: string;
  created_at: number;
  expires_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  instance_id: string;
  outcome: string;
  detail: string | null;
}

export interface InstanceTable {
  id: string;
  version: string;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
  lock_provider: string;
  scheduler: number;
  /** JSON: runtime stats reported with each heartbeat (browser runtime state, in-flight runs). */
  stats: string;
}

export interface TenantTable {
  id: string;
  name: string;
  slug: string;
  created_at: number;
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

export interface AlertRuleTable {
  id: string;
  tenant_id: string;
  name: string;
  enabled: number;
  created_at: number;
}

export interface NotificationOutboxTable {
  id: string;
  status: string;
  created_at: number;
}

export interface BrowserSessionTable {
  id: string;
  tenant_id: string;
  owner_instance_id: string;
  status: string;
  start_url: string;
  created_at: number;
  last_activity_at: number;
  idle_timeout_ms: number;
  max_lifetime_ms: number;
  closed_at: number | null;
  close_reason: string | null;
}
