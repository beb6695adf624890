import 'server-only';
import type { Kysely } from 'kysely';
import type { ChangeEvent } from '../coordination/change-bus';
import type { Database, RunLogLevel, RunTrigger } from '../db/schema';

export type { RunLogLevel };

export type AutomationDomain = 'alerts' | 'browser' | 'monitoring';

/** What a run function may touch. Narrow on purpose: domain modules come in through these ports. */
export interface RunContext {
  runId: string;
  trigger: RunTrigger;
  instanceId: string;
  lockProvider: 'redis' | 'local';
  /** Aborted when the run exceeds its maximum duration or loses its lock. */
  signal: AbortSignal;
  now(): number;
  /**
   * A line of this run's own log, stored with the run (buffered; written with the next progress, every
   * RUN_LOG_FLUSH_MS and at the end). `fields` are redacted like the process log; a string `tenantId` among them
   * names the tenant the line is about, so a tenant-restricted reader sees only its own tenant's lines. Never put
   * an upstream's answer (body, headers) in a line: its status or classification only.
   */
  log(level: RunLogLevel, message: string, fields?: Record<string, unknown>): void;
  /** How far the run is: `done` of `total` units (e.g. 12 of 300 "servers"). Kept on the run row; cheap to call often. */
  progress(done: number, total: number, unit: string): void;
}

/** Dependencies shared by the definitions' run and live-metric functions. */
export interface DomainPorts {
  db: Kysely<Database>;
  inference: InferencePort;
  alerts: AlertsPort;
  browser: BrowserPort;
}

export interface InferencePort {
  /** Polls every enabled server whose interval is due; returns how many were polled and for how many tenants. */
  pollDue(ctx: RunContext): Promise<{ dueServers: number; processedTenants: number }>;
}

export interface AlertsPort {
  /** Evaluates every enabled rule of every tenant once. */
  evaluateAll(ctx: RunContext): Promise<{ firedCount: number; processedTenants: number }>;
  /** Notification deliveries queued or in flight now. */
  pendingDeliveries(): Promise<number>;
}

/** This instance's browser runtime as the browser automations see it (the browser domain's status satisfies it). */
export interface BrowserStatus {
  /** The runtime's browser process is connected now. */
  browserConnected: boolean;
  /** Sessions open in this runtime now. */
  liveSessions: number;
  /** The runtime is draining for shutdown. */
  shuttingDown: boolean;
  /** Why the runtime is unusable now, or null. */
  failure: string | null;
}

export interface BrowserPort {
  /** This instance's runtime, now. */
  status(): BrowserStatus;
  /** Closes this instance's sessions past their idle timeout or lifetime. */
  reap(ctx: RunContext): Promise<{ closed: number }>;
  /** Marks sessions the database calls live but no runtime holds as orphaned. */
  reconcile(ctx: RunContext): Promise<{ sessionsReconciled: number; tenantsScanned: number }>;
  /** Runtime cleanups still in flight on this instance. */
  pendingCleanups(): number;
}

export type Metrics = Record<string, string | number | boolean>;

/**
 * Another live instance, as a per-instance automation's view may need it: what that instance's heartbeat last said
 * about its browser runtime (absent when it reported none).
 */
export interface PeerInstance {
  id: string;
  browser?: { browserConnected: boolean; liveSessions: number; shuttingDown: boolean; healthy: boolean };
}

/**
 * One automation, as data. `scope: 'instance'` means every instance runs its own copy (the reaper acts on the
 * instance's own browser runtime); `'cluster'` means one run at a time across all instances.
 */
export interface AutomationDefinition {
  key: string;
  name: string;
  description: string;
  domain: AutomationDomain;
  /** Default cron (with seconds); null for manual-only automations. */
  defaultSchedule: string | null;
  supportsPause: boolean;
  supportsTrigger: boolean;
  scope: 'cluster' | 'instance';
  /** Exactly the spec's metric keys, in the spec's order. */
  metricKeys: readonly string[];
  /** Does the work; returns the metrics to record on the run. */
  run(ports: DomainPorts, ctx: RunContext): Promise<Metrics>;
  /** Metrics that describe "now" rather than the last run (e.g. deliveries pending), merged over the run's. */
  liveMetrics?(ports: DomainPorts): Promise<Metrics>;
  /**
   * A dependency this automation needs that is unavailable now (on this instance, or for a per-instance automation
   * on one of the `peers`), described for `lastError`; null when fine.
   */
  dependencyProblem?(ports: DomainPorts, peers: readonly PeerInstance[]): string | null;
  /**
   * For a per-instance automation whose view covers every live instance: the composed metrics with this instance's
   * live values and the `peers`' last reported ones combined. Called whenever the view is composed.
   */
  aggregate?(metrics: Metrics, ports: DomainPorts, peers: readonly PeerInstance[]): Metrics;
  /** Bus events, besides its own runs, after which its live metrics are read again. */
  liveMetricsChangeOn?: ReadonlyArray<ChangeEvent['type']>;
}

/** Keeps the literal key type, so the registry can derive `AutomationKey` from its list. */
export function defineAutomation<K extends string>(definition: AutomationDefinition & { key: K }): AutomationDefinition & { key: K } {
  return definition;
}
