import 'server-only';
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
  // Session changes on this instance change liveSessions and browserConnected.
  liveMetricsChangeOn: ['browser-sessions'],
  dependencyProblem(ports, peers) {
    const own = ports.browser.status().failure;
    if (own) return own;
    const broken = peers.find((peer) => peer.browser && !peer.browser.healthy);
    return broken ? `Browser runtime on ${broken.id} is unavailable` : null;
  },
  /** The reaper's view covers every live instance's runtime (DESIGN §4.1). */
  aggregate(metrics, ports, peers) {
    const all = [ports.browser.status(), ...peers.flatMap((peer) => (peer.browser ? [peer.browser] : []))];
    return {
      ...metrics,
      browserConnected: all.every((b) => b.browserConnected),
      liveSessions: all.reduce((sum, b) => sum + b.liveSessions, 0),
      shuttingDown: all.some((b) => b.shuttingDown),
    };
  },
});
