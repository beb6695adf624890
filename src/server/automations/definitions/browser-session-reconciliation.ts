import 'server-only';
import { defineAutomation } from '../definition';

export const browserSessionReconciliation = defineAutomation({
  key: 'browser-session-reconciliation',
  name: 'Browser Session Reconciliation',
  description: 'Reconciles browser sessions left active in the database after a runtime restart.',
  domain: 'browser',
  defaultSchedule: null,
  supportsPause: false,
  supportsTrigger: true,
  scope: 'cluster',
  metricKeys: ['pendingAsyncTasks', 'sessionsReconciled', 'tenantsScanned'],
  async run(ports, ctx) {
    const { sessionsReconciled, tenantsScanned } = await ports.browser.reconcile(ctx);
    return { pendingAsyncTasks: ports.browser.pendingCleanups(), sessionsReconciled, tenantsScanned };
  },
  async liveMetrics(ports) {
    return { pendingAsyncTasks: ports.browser.pendingCleanups() };
  },
});
