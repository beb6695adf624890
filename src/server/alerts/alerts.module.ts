import 'server-only';
import type { AlertsPort } from '../automations/definition';
import { errorMessage } from '../errors';
import { ApiKeyCipher, resolveKeySource } from '../inference/api-key-cipher';
import { InferenceRepository } from '../inference/inference.repository';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { TenantService } from '../tenants/tenant.service';
import { tenantQuotas } from '../config/tenants.config';
import { AlertEvaluationService } from './alert-evaluation.service';
import { alertsConfig } from '../config/alerts.config';
import { AlertsService } from './alerts.service';
import { ChannelSecrets } from './channel-secrets';
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
  const secrets = new ChannelSecrets(
    new ApiKeyCipher(
      resolveKeySource({
        consoleSecret: deps.config.CONSOLE_SECRET,
        databaseUrl: deps.config.DATABASE_URL,
        dataDir: deps.config.dataDir,
        purpose: 'alert-channel-secret:v1',
      }),
    ),
  );
  const logger = deps.logger.child({ module: 'alerts' });
  const outbox = new NotificationOutbox(deps.database.db);
  const incidents = new IncidentRepository(deps.database, outbox);
  const delivery = new NotificationDelivery({
    outbox,
    policy: deps.outbound,
    secrets,
    config,
    logger,
    now: deps.now,
    onAttempt: (channel, outcome) => deps.metrics.deliveries.inc({ channel, outcome }),
  });
  const onQueued = () => delivery.nudge();
  const quotas = tenantQuotas(deps.config);
  // Stateless handles on the tenants and inference domains: rules read tenants and servers through them, not their tables.
  const tenants = new TenantService({ database: deps.database, audit: deps.audit, now: deps.now });
  const servers = new InferenceRepository(deps.database);
  const evaluation = new AlertEvaluationService({
    database: deps.database,
    incidents,
    outbox,
    servers,
    onQueued,
    retention: { ms: config.retentionMs, batch: config.retentionBatch },
  });
  const service = new AlertsService({
    database: deps.database,
    incidents,
    outbox,
    audit: deps.audit,
    policy: deps.outbound,
    secrets,
    quotas,
    tenants,
    servers,
    now: deps.now,
    onQueued,
  });
  const port: AlertsPort = evaluation;
  const lifecycle: Lifecycle = {
    start: async () => {
      // Secrets stored in clear before migration 0010 are sealed now (the migration cannot read CONSOLE_SECRET).
      try {
        const { sealed, remaining } = await secrets.sealLegacy(deps.database.db);
        if (sealed > 0) logger.info({ sealed }, 'encrypted webhook channel secrets that were stored in clear');
        if (remaining > 0) logger.warn({ remaining }, 'webhook channel secrets remain stored in clear: set CONSOLE_SECRET to encrypt them');
      } catch (error) {
        logger.warn({ error: errorMessage(error) }, 'could not encrypt webhook channel secrets stored in clear; retried at the next start');
      }
      delivery.start();
    },
    stop: () => delivery.stop(),
  };
  return { port, evaluation, service, delivery, outbox, secrets, config, lifecycle };
}

export type AlertsModule = ReturnType<typeof createAlertsModule>;
