import 'server-only';
import net from 'node:net';
import type { InferencePort } from '../automations/definition';
import { errorMessage } from '../errors';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { TenantService } from '../tenants/tenant.service';
import { tenantQuotas } from '../config/tenants.config';
import { ApiKeyCipher, resolveKeySource } from './api-key-cipher';
import { bindLegacyApiKeys } from './api-key-rebinding';
import { DemoDataService } from './demo-data.service';
import { DemoFleet } from './demo-fleet';
import { InferencePollService } from './inference-poll.service';
import { InferenceServersService } from './inference-servers.service';
import { InferenceRepository } from './inference.repository';

/**
 * Inference servers, their samples, the poll the inference-monitoring-poll automation runs (`port`), and the
 * optional demo fleet (DEMO_FLEET=on), which the lifecycle starts and stops.
 */
export function createInferenceModule(deps: ModuleDeps) {
  const { config } = deps;
  const repository = new InferenceRepository(deps.database);
  const cipher = new ApiKeyCipher(resolveKeySource({ consoleSecret: config.CONSOLE_SECRET, databaseUrl: config.DATABASE_URL, dataDir: config.dataDir }));
  // Stateless: this module's own handle on tenants, for visibility checks and the demo tenant.
  const tenants = new TenantService({ database: deps.database, audit: deps.audit, now: deps.now });
  const quotas = tenantQuotas(config);
  const servers = new InferenceServersService({ repository, tenants, cipher, outbound: deps.outbound, audit: deps.audit, quotas, now: deps.now });
  const poll = new InferencePollService({
    repository,
    cipher,
    outbound: deps.outbound,
    logger: deps.logger.child({ module: 'inference' }),
    onPolled: (kind, up, latencyMs) => {
      deps.metrics.polls.inc({ kind, outcome: up ? 'up' : 'down' });
      deps.metrics.pollLatency.observe({ kind }, latencyMs / 1000);
    },
    config: {
      concurrency: config.POLL_CONCURRENCY,
      deadlineMs: config.POLL_DEADLINE_MS,
      maxBytes: config.POLL_MAX_BYTES,
      maxServersPerRun: config.POLL_MAX_SERVERS_PER_RUN,
      retentionMs: Math.round(config.SAMPLE_RETENTION_DAYS * 86_400_000),
      retentionBatch: config.SAMPLE_RETENTION_BATCH,
      maxModels: quotas.modelsPerSample,
      maxModelNameLength: quotas.modelNameLength,
    },
  });
  const fleet = config.DEMO_FLEET === 'on' ? new DemoFleet({ host: config.DEMO_FLEET_HOST, port: config.DEMO_FLEET_PORT, now: deps.now }) : null;
  const demo = new DemoDataService({ fleet, tenants, servers, cipher });
  const port: InferencePort = poll;
  const lifecycle: Lifecycle = {
    async start() {
      await bindLegacyApiKeys(repository, cipher, deps.logger.child({ module: 'inference' }));
      if (!fleet) return;
      // The configured listener opens even if this instance cannot bind it: another instance on this machine then
      // serves the fleet there (see the warning below), and this instance's polls of the demo servers must work too.
      if (config.DEMO_FLEET_PORT !== 0) deps.outbound.allow('poll', 'platform', listenerEntry(config.DEMO_FLEET_HOST, config.DEMO_FLEET_PORT));
      try {
        const url = await fleet.start();
        // Exactly the fleet's own listener, for the platform's polls (demo data is loaded by the platform);
        // nothing else on loopback opens with it.
        deps.outbound.allow('poll', 'platform', new URL(url).host);
        deps.logger.info({ url }, 'demo fleet serving simulated inference servers (DEMO_FLEET=on)');
      } catch (error) {
        // Another instance on this machine may already serve it on the same port; the console works without it.
        deps.logger.warn({ error: errorMessage(error), port: config.DEMO_FLEET_PORT }, 'demo fleet could not start');
      }
    },
    async stop() {
      await fleet?.stop();
    },
  };
  return { port, poll, servers, repository, cipher, demo, fleet, lifecycle };
}

export type InferenceModule = ReturnType<typeof createInferenceModule>;

/** `host:port` as an allow-list entry (`[v6]:port` for an IPv6 literal). */
function listenerEntry(host: string, port: number): string {
  return `${net.isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
