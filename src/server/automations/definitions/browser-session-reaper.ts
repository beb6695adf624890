import { defineAutomation } from '../definition';

export const browserSessionReaper = defineAutomation({
  key: 'browser-session-reaper',
  name: 'Browser Session Reaper',
  description: 'Closes idle or over-lifetime browser sessions inside the local Playwright runtime.',
  domain: 'browser',
  defaultSchedule: '*/30 * * * * *',
  supportsPause: true,
  supportsTrigger: true,
  // Each instance reaps its own runtime; the view aggregates all live instances.
  scope: 'instance',
  metricKeys: ['browserConnected', 'liveSessions', 'shuttingDown'],
  async run(ports, ctx) {
    const { closed } = await ports.browser.reap(ctx);
    const status = ports.browser.status();
    return {
      browserConnected: status.browserConnected,
      liveSessions: status.liveSessions,
      shuttingDown: status.shuttingDown,
      sessionsClosed: closed,
    };
  },
  async liveMetrics(ports) {
    const status = ports.browser.status();
    return {
      browserConnected: status.browserConnected,
      liveSessions: status.liveSessions,
      shuttingDown: status.shuttingDown,
    };
  },
  dependencyProblem(ports) {
    return ports.browser.status().failure;
  },
});
