import 'server-only';
import type { BrowserPort } from '../automations/definition';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { TenantService } from '../tenants/tenant.service';
import { tenantQuotas } from '../config/tenants.config';
import { SessionChanges } from './browser-session-changes';
import { SessionUpkeep } from './browser-session-upkeep';
import { BrowserSessionsRepository } from './browser-sessions.repository';
import { BrowserSessionsService } from './browser-sessions.service';
import { browserSettings } from '../config/browser.config';
import { PlaywrightBrowserRuntime } from './playwright-runtime';
import { SessionForwarding, withForwarding } from './session-forwarding';

/** Beyond the navigation timeout, how long a forwarded action may take on its owner (screenshot, bookkeeping). */
const FORWARD_REPLY_MARGIN_MS = 20_000;

/**
 * This instance's browser runtime and the sessions in it. Nothing is launched here: the browser starts when the
 * first session needs it. `port` (the session upkeep) is what the reaper and reconciliation act through; `sessions`
 * serves REST and tRPC (forwarding actions to the owner instance); starting the lifecycle answers other instances'
 * forwarded actions; stopping the lifecycle drains the runtime and records the sessions it held as closed.
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
  const repository = new BrowserSessionsRepository(deps.database.db);
  const changes = new SessionChanges(deps.bus);
  const isInstanceLive = (id: string) => deps.instances.isLive(id);
  const instanceId = deps.config.instanceId;
  // A stateless handle on the tenants domain: sessions check and list tenants through it, not its table.
  const tenants = new TenantService({ database: deps.database, audit: deps.audit, now: deps.now });
  const local = new BrowserSessionsService({
    repository,
    tenants,
    runtime,
    policy: deps.outbound,
    audit: deps.audit,
    changes,
    settings,
    tenantQuota: tenantQuotas(deps.config).browserSessions,
    instanceId,
    isInstanceLive,
    now: deps.now,
  });
  // Actions on a session another instance holds are run by that instance (session-forwarding.ts).
  const forwarding = new SessionForwarding({
    bus: deps.bus,
    instanceId,
    isInstanceLive,
    replyWaitMs: settings.navigationTimeoutMs + FORWARD_REPLY_MARGIN_MS,
    logger: deps.logger.child({ module: 'browser' }),
  });
  const sessions = withForwarding(local, forwarding);
  const upkeep = new SessionUpkeep({
    repository,
    runtime,
    changes,
    settings,
    instanceId,
    isInstanceLive,
    logger: deps.logger.child({ module: 'browser' }),
    now: deps.now,
  });
  const port: BrowserPort = upkeep;
  let stopAnswering: (() => void) | null = null;
  const lifecycle: Lifecycle = {
    async start() {
      stopAnswering ??= forwarding.listen(local);
    },
    async stop() {
      await upkeep.shutdown();
      stopAnswering?.();
      stopAnswering = null;
    },
  };
  return { port, runtime, sessions, upkeep, settings, lifecycle };
}

export type BrowserModule = ReturnType<typeof createBrowserModule>;
