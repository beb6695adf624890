import 'server-only';
import { defineAutomation } from '../definition';

export const inferenceMonitoringPoll = defineAutomation({
  key: 'inference-monitoring-poll',
  name: 'Inference Poll Scheduler',
  description: 'Polls inference servers on their due intervals and refreshes operational metrics.',
  domain: 'monitoring',
  defaultSchedule: '*/30 * * * * *',
  supportsPause: true,
  supportsTrigger: true,
  scope: 'cluster',
  metricKeys: ['dueServers', 'lockProvider', 'processedTenants'],
  async run(ports, ctx) {
    const { dueServers, processedTenants } = await ports.inference.pollDue(ctx);
    return { dueServers, lockProvider: ctx.lockProvider, processedTenants };
  },
});
