import 'server-only';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Default metrics that are gauges named like counters, each the sum of a per-type gauge that is kept. */
const REDUNDANT_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

const RUN_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 15, 60, 300];
const FAST_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The console's Prometheus metrics, in a registry of its own (one per container, so tests that build several
 * containers in one process never collide). Exposed at GET /metrics to tokens with `metrics:read`.
 */
export class ConsoleMetrics {
  readonly registry = new Registry();

  readonly runs = new Counter({
    name: 'console_automation_runs_total',
    help: 'Automation runs finished on this instance, by automation, trigger and outcome.',
    labelNames: ['automation', 'trigger', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly runDuration = new Histogram({
    name: 'console_automation_run_duration_seconds',
    help: 'Duration of automation runs on this instance.',
    labelNames: ['automation', 'outcome'] as const,
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  });

  readonly skippedTicks = new Counter({
    name: 'console_scheduler_skipped_ticks_total',
    help: 'Scheduled ticks this instance did not run, by automation and reason.',
    labelNames: ['automation', 'reason'] as const,
    registers: [this.registry],
  });

  readonly lockAcquire = new Histogram({
    name: 'console_lock_acquire_seconds',
    help: 'Time to acquire (or be refused) a run mutex, by provider and result.',
    labelNames: ['provider', 'result'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'console_http_requests_total',
    help: 'Client API requests, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'console_http_request_duration_seconds',
    help: 'Client API request duration, by route pattern and method.',
    labelNames: ['route', 'method'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly polls = new Counter({
    name: 'console_inference_polls_total',
    help: 'Inference server polls, by server kind and outcome (up, down).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly pollLatency = new Histogram({
    name: 'console_inference_poll_latency_seconds',
    help: 'Latency of inference server polls, by server kind.',
    labelNames: ['kind'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'console_notification_deliveries_total',
    help: 'Notification delivery attempts, by channel type and outcome (delivered, retrying, failed).',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  private liveSessionsSource: () => number = () => 0;

  readonly liveBrowserSessions = new Gauge({
    name: 'console_browser_live_sessions',
    help: 'Browser sessions open in this instance’s runtime now.',
    registers: [this.registry],
    collect: () => {
      this.liveBrowserSessions.set(this.liveSessionsSource());
    },
  });

  constructor(instanceId: string) {
    this.registry.setDefaultLabels({ instance_id: instanceId });
    collectDefaultMetrics({ register: this.registry, prefix: 'console_' });
    // prom-client also exposes the sums of three of its per-type gauges as gauges named `…_total`, a suffix that
    // Prometheus reserves for counters (promtool refuses it). The per-type gauges stay; sum them for the totals.
    for (const name of REDUNDANT_TOTALS) this.registry.removeSingleMetric(`console_${name}`);
  }

  /** Where the live-sessions gauge reads its value when scraped. */
  observeLiveSessions(source: () => number): void {
    this.liveSessionsSource = source;
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

const ACTIONS = new Set(['run', 'pause', 'resume', 'runs', 'samples', 'navigate', 'screenshot', 'acknowledge', 'notes']);

/**
 * A bounded route label for a client API path: resource names kept, identifiers replaced, so hostile paths
 * cannot grow the label set. `/api/client/v1/automations/alert-evaluation/run` → `/automations/:id/run`.
 */
export function routeLabel(pathname: string): string {
  const rest = pathname
    .replace(/^\/api\/client\/v1/, '')
    .split('/')
    .filter(Boolean);
  const parts: string[] = [];
  rest.forEach((segment, i) => {
    if (i === 0 || (i === 1 && rest[0] === 'browser')) parts.push(/^[a-z-]{1,32}$/.test(segment) ? segment : ':x');
    else if (ACTIONS.has(segment) && i === rest.length - 1) parts.push(segment);
    else parts.push(':id');
  });
  return `/${parts.slice(0, 5).join('/')}`;
}
