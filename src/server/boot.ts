import 'server-only';
import { browserSessionReconciliation } from './automations/definitions/browser-session-reconciliation';
import { type Container, getContainer } from './container';
import { HEARTBEAT_INTERVAL_MS, type InstanceStats } from './coordination/instance-registry';
import { waitUntilReady } from './coordination/redis-connection';
import { errorMessage } from './errors';
import { createHttpEdge, installHttpEdge } from './http/http-edge';

const BOOT_KEY = Symbol.for('automations-console.boot');
type GlobalWithBoot = typeof globalThis & { [BOOT_KEY]?: Promise<BackgroundWork> };

interface BackgroundWork {
  stop(signal: string): Promise<void>;
}

/**
 * Starts this process's background work once (DESIGN §4.7): migrate (in the container), register the instance,
 * close runs a previous process of this instance left open, create the first admin, reconcile browser sessions
 * (a `boot` run), start the scheduler and the heartbeat, and stop all of it on SIGTERM/SIGINT.
 * Calling it again returns the same work.
 */
export function startBackgroundWork(options: { handleSignals: boolean }): Promise<BackgroundWork> {
  const g = globalThis as GlobalWithBoot;
  g[BOOT_KEY] ??= getContainer().then((c) => boot(c, options));
  return g[BOOT_KEY];
}

export async function boot(c: Container, options: { handleSignals: boolean }): Promise<BackgroundWork> {
  const log = c.logger;
  if (c.redis) {
    try {
      await waitUntilReady(c.redis.commands, 3000);
    } catch (error) {
      // Serve anyway: views say `degraded` with the reason, and runs wait for Redis to come back.
      log.error({ error: errorMessage(error) }, 'Redis is unreachable at boot; scheduled runs are skipped until it is back');
      c.lockHealth.reportFailure(errorMessage(error), c.now());
    }
  }

  const stats = (): InstanceStats => {
    const browser = c.browser.port.status();
    return { browser: { ...browser, healthy: browser.failure === null }, runsInFlight: c.executor.running() };
  };
  await c.instances.register(stats());
  const abandoned = await c.runs.abandonOwn(c.config.instanceId, c.now());
  if (abandoned > 0) log.warn({ abandoned }, 'closed runs left open by a previous process of this instance');

  const admin = await c.operators.ensureFirstAdmin(c.config.CONSOLE_ADMIN_EMAIL, c.config.CONSOLE_ADMIN_PASSWORD);
  if (admin?.generatedPassword) {
    // Printed once, on purpose, outside the JSON log so it is easy to find and not shipped to log stores twice.
    process.stdout.write(
      `\n  First start: created admin ${admin.email} with password ${admin.generatedPassword}\n  Sign in at http://localhost:${c.config.PORT}/login and change it under Account (or set CONSOLE_ADMIN_EMAIL/CONSOLE_ADMIN_PASSWORD).\n\n`,
    );
  } else if (admin) {
    log.info({ email: admin.email }, 'created the first admin from CONSOLE_ADMIN_EMAIL');
  }

  for (const lifecycle of c.lifecycles) await lifecycle.start?.();

  try {
    await c.executor.execute(browserSessionReconciliation, { trigger: 'boot', actor: 'system:boot', slot: null });
  } catch (error) {
    log.error({ error: errorMessage(error) }, 'boot reconciliation could not run');
  }

  if (c.config.SCHEDULER === 'on') c.scheduler.start();
  else log.info({}, 'scheduler off (SCHEDULER=off): this instance serves requests only');
  await c.bus.publish({ type: 'instances' });

  const heartbeat = setInterval(() => {
    void (async () => {
      try {
        await c.instances.heartbeat(stats());
        if (c.redis)
          await c.locks.ping().then(
            () => c.lockHealth.reportSuccess(),
            () => undefined,
          );
      } catch (error) {
        log.warn({ error: errorMessage(error) }, 'heartbeat failed');
      }
    })();
  }, HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();

  let stopping: Promise<void> | null = null;
  const work: BackgroundWork = {
    stop(signal: string) {
      stopping ??= (async () => {
        log.info({ signal }, 'shutting down: no new ticks, draining runs');
        clearInterval(heartbeat);
        await c.scheduler.stop();
        await c.executor.drain(c.config.SHUTDOWN_GRACE_MS);
        for (const lifecycle of [...c.lifecycles].reverse()) {
          await lifecycle.stop?.().catch((error: unknown) => log.warn({ error: errorMessage(error) }, 'module stop failed'));
        }
        await c.instances.deregister().catch(() => undefined);
        await c.bus.publish({ type: 'instances' }).catch(() => undefined);
        await c.close();
        log.info({}, 'shutdown complete');
      })();
      return stopping;
    },
  };

  if (options.handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void work.stop(signal).finally(() => process.exit(0));
      });
    }
  }
  log.info({ version: c.version, database: c.database.describe, locks: c.locks.kind }, 'console started');
  return work;
}

/**
 * Entry from `src/instrumentation.ts`. A bad configuration or an unreachable database is fatal: the process
 * says why and exits rather than serve errors.
 */
export async function startServerProcess(): Promise<void> {
  try {
    // The answers scripts/server.mjs gives before Next.js (unknown methods, long targets, CORS preflights).
    const { config } = await getContainer();
    installHttpEdge(createHttpEdge({ corsOrigins: config.CORS_ALLOWED_ORIGINS }));
    await startBackgroundWork({ handleSignals: true });
  } catch (error) {
    console.error(`Automations Console failed to start: ${errorMessage(error)}`);
    process.exit(1);
  }
}
