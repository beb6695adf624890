import 'server-only';
import { defineAutomation } from '../definition';

export const alertEvaluation = defineAutomation({
  key: 'alert-evaluation',
  name: 'Alert Evaluation',
  description: 'Evaluates active alert rules across tenants and emits incidents or notifications.',
  domain: 'alerts',
  defaultSchedule: '*/30 * * * * *',
  supportsPause: true,
  supportsTrigger: true,
  scope: 'cluster',
  metricKeys: ['firedCount', 'lockProvider', 'pendingAsyncTasks', 'processedTenants'],
  async run(ports, ctx) {
    const { firedCount, processedTenants } = await ports.alerts.evaluateAll(ctx);
    return {
      firedCount,
      lockProvider: ctx.lockProvider,
      pendingAsyncTasks: await ports.alerts.pendingDeliveries(),
      processedTenants,
    };
  },
  async liveMetrics(ports) {
    return { pendingAsyncTasks: await ports.alerts.pendingDeliveries() };
  },
});
