import type { BrowserPort } from '../automations/definition';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { type BrowserRuntime, UnlaunchedBrowserRuntime } from './browser-runtime';
import { BrowserSessionsService } from './browser-sessions.service';

/** This instance's browser runtime and the sessions in it; the reaper and reconciliation act through `port`. */
export function createBrowserModule(deps: ModuleDeps) {
  const runtime: BrowserRuntime = new UnlaunchedBrowserRuntime();
  const sessions = new BrowserSessionsService(deps.database.db, runtime, deps.config.instanceId, (id) => deps.instances.isLive(id));
  const port: BrowserPort = sessions;
  const lifecycle: Lifecycle = { stop: () => runtime.shutdown() };
  return { port, runtime, sessions, lifecycle };
}

export type BrowserModule = ReturnType<typeof createBrowserModule>;
