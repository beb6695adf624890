import type { Kysely } from 'kysely';
import type { Database, RunTrigger } from '../db/schema';
import type { BrowserRuntimeStatus } from '../browser/browser-runtime';

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

export interface BrowserPort {
  /** This instance's runtime, now. */
  status(): BrowserRuntimeStatus;
  /** Closes this instance's sessions past their idle timeout or lifetime. */
  reap(ctx: RunContext): Promise<{ closed: number }>;
  /** Marks sessions the database calls live but no runtime holds as orphaned. */
  reconcile(ctx: RunContext): Promise<{ sessionsReconciled: number; tenantsScanned: number }>;
  /** Runtime cleanups still in flight on this instance. */
  pendingCleanups(): number;
}

export type Metrics = Record<string, string | number | boolean>;

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
  /** A dependency this automation needs that is unavailable now, described for `lastError`; null when fine. */
  dependencyProblem?(ports: DomainPorts): string | null;
}

/** Keeps the literal key type, so the registry can derive `AutomationKey` from its list. */
export function defineAutomation<K extends string>(definition: AutomationDefinition & { key: K }): AutomationDefinition & { key: K } {
  return definition;
}
