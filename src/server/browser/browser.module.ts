import type { BrowserPort } from '../automations/definition';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { tenantQuotas } from '../tenants/tenants.config';
import { BrowserSessionsRepository } from './browser-sessions.repository';
import { BrowserSessionsService } from './browser-sessions.service';
import { browserSettings } from './browser.config';
import { PlaywrightBrowserRuntime } from './playwright-runtime';

/**
 * This instance's browser runtime and the sessions in it. Nothing is launched here: the browser starts when the
 * first session needs it. `port` is what the reaper and reconciliation act through; `sessions` serves REST and
 * tRPC; stopping the lifecycle drains the runtime and records the sessions it held as closed.
 */
export function createBrowserModule(deps: ModuleDeps) {
  const settings = browserSettings(deps.config);
  const runAsRoot = process.getuid?.() === 0;
  if (runAsRoot) {
    deps.logger.warn(
      { uid: 0 },
      'browser sessions: Chromium runs WITHOUT its sandbox, because the console runs as root (Chromium refuses its sandbox as root); run the console as an unprivileged user to keep it',
    );
  }
  const runtime = new PlaywrightBrowserRuntime({
    chromiumPath: settings.chromiumPath,
    runAsRoot,
    maxSessions: settings.maxSessions,
    navigationTimeoutMs: settings.navigationTimeoutMs,
    policy: deps.outbound,
    logger: deps.logger.child({ module: 'browser' }),
  });
  const sessions = new BrowserSessionsService({
    repository: new BrowserSessionsRepository(deps.database.db),
    runtime,
    policy: deps.outbound,
    audit: deps.audit,
    bus: deps.bus,
    settings,
    tenantQuota: tenantQuotas(deps.config).browserSessions,
    instanceId: deps.config.instanceId,
    isInstanceLive: (id) => deps.instances.isLive(id),
    logger: deps.logger.child({ module: 'browser' }),
    now: deps.now,
  });
  const port: BrowserPort = sessions;
  const lifecycle: Lifecycle = { stop: () => sessions.shutdown() };
  return { port, runtime, sessions, settings, lifecycle };
}

export type BrowserModule = ReturnType<typeof createBrowserModule>;
