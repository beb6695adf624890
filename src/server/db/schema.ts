import 'server-only';
import type { Generated } from 'kysely';
import type { AlertTables } from './tables/alerts.tables';
import type { BrowserTables } from './tables/browser.tables';
import type { InferenceTables } from './tables/inference.tables';
import type { TenantTables } from './tables/tenant.tables';

/**
 * Table types shared by both dialects. Times are epoch milliseconds (bigint in PostgreSQL, integer in SQLite),
 * booleans are 0/1 integers and JSON is text, so one query layer serves SQLite and PostgreSQL unchanged.
 */
/** Every table. The tables live here, below every domain, one file per domain under tables/; this joins them. */
export interface Database extends ControlPlaneTables, TenantTables, InferenceTables, BrowserTables, AlertTables {}

/** The control plane's tables (automations, auth, audit, instances). */
export interface ControlPlaneTables {
  automation_pauses: AutomationPauseTable;
  automation_runs: AutomationRunTable;
  automation_run_logs: AutomationRunLogTable;
  api_tokens: ApiTokenTable;
  operators: OperatorTable;
  operator_sessions: OperatorSessionTable;
  audit_log: AuditLogTable;
  instances: InstanceTable;
  changes: ChangeTable;
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
  /** The run's latest progress (RunContext.progress), written with its log; null until it reports any. */
  progress_done: Generated<number | null>;
  progress_total: Generated<number | null>;
  progress_unit: Generated<string | null>;
  progress_at: Generated<number | null>;
  /** Lines stored in automation_run_logs (the truncation marker included), and lines dropped past the limits. */
  log_lines: Generated<number>;
  log_dropped: Generated<number>;
}

export type RunLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One line of a run's own log; `seq` counts from 1 per run. Deleted with its run (foreign key, cascade). */
export interface AutomationRunLogTable {
  run_id: string;
  seq: number;
  at: number;
  level: RunLogLevel;
  message: string;
  /** JSON object, redacted like the process log; null without fields. */
  fields: string | null;
  /** The tenant the line is about (its `tenantId` field), so a tenant-restricted reader sees only its own. */
  tenant_id: string | null;
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
  /** Last request seen on this session (written at most once a minute); null until the first one after sign-in. */
  last_seen_at: number | null;
}

/** The change feed: one row per change event, read by the other processes on this database, pruned after minutes. */
export interface ChangeTable {
  id: Generated<number>;
  at: number;
  /** The publishing process (instance id plus a per-process suffix), so a process skips its own rows. */
  origin: string;
  /** The event envelope as JSON; events never carry secrets. */
  event: string;
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
