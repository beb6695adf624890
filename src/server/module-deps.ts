import 'server-only';
import type { AuditLog } from './audit/audit-log';
import type { Config } from './config/env';
import type { ChangeBus } from './coordination/change-bus';
import type { InstanceRegistry } from './coordination/instance-registry';
import type { DatabaseHandle } from './db/client';
import type { Logger } from './logger';
import type { OutboundPolicy } from './net/outbound-policy';
import type { ConsoleMetrics } from './observability/metrics';

/** What the composition root hands every domain module (tenants, inference, browser, alerts). */
export interface ModuleDeps {
  database: DatabaseHandle;
  config: Config;
  logger: Logger;
  bus: ChangeBus;
  instances: InstanceRegistry;
  audit: AuditLog;
  outbound: OutboundPolicy;
  /** Prometheus metrics: domain modules count polls, deliveries and the like here. */
  metrics: ConsoleMetrics;
  now: () => number;
}

/** Background work a domain module may own; boot starts it after migrations and stops it on shutdown. */
export interface Lifecycle {
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
