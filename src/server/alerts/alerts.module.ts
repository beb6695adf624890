import type { AlertsPort } from '../automations/definition';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { AlertEvaluationService } from './alert-evaluation.service';
import { alertsConfig } from './alerts.config';
import { AlertsService } from './alerts.service';
import { IncidentRepository } from './incidents.repository';
import { NotificationDelivery } from './notification-delivery';
import { NotificationOutbox } from './notification-outbox';

/**
 * Alert rules, incidents and notifications. The alert-evaluation automation runs `port.evaluateAll`; the REST and
 * tRPC surfaces call `service`; `delivery` sends queued notifications in the background on every instance
 * (started and stopped through `lifecycle` by boot).
 */
export function createAlertsModule(deps: ModuleDeps) {
  const config = alertsConfig(deps.config);
  const outbox = new NotificationOutbox(deps.database.db);
  const incidents = new IncidentRepository(deps.database, outbox);
  const delivery = new NotificationDelivery({
    outbox,
    policy: deps.outbound,
    config,
    logger: deps.logger.child({ module: 'alerts' }),
    now: deps.now,
    onAttempt: (channel, outcome) => deps.metrics.deliveries.inc({ channel, outcome }),
  });
  const onQueued = () => delivery.nudge();
  const evaluation = new AlertEvaluationService({ database: deps.database, incidents, outbox, onQueued, retention: { ms: config.retentionMs, batch: config.retentionBatch } });
  const service = new AlertsService({ database: deps.database, incidents, outbox, audit: deps.audit, policy: deps.outbound, now: deps.now, onQueued });
  const port: AlertsPort = evaluation;
  const lifecycle: Lifecycle = {
    start: async () => delivery.start(),
    stop: () => delivery.stop(),
  };
  return { port, evaluation, service, delivery, outbox, config, lifecycle };
}

export type AlertsModule = ReturnType<typeof createAlertsModule>;
