import 'server-only';
import { z } from 'zod';
import { AUTOMATION_STATES } from './state';

/** The automation view: exactly the spec's fields, plus the additive fields of DESIGN §4.1. */
export const automationViewSchema = z.object({
  key: z.string(),
  name: z.string(),
  description: z.string(),
  domain: z.enum(['alerts', 'browser', 'monitoring']),
  cadenceLabel: z.string(),
  distributed: z.boolean(),
  metrics: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  state: z.enum(AUTOMATION_STATES),
  supportsPause: z.boolean(),
  supportsTrigger: z.boolean(),
  lastStartedAt: z.string().nullable(),
  lastCompletedAt: z.string().nullable(),
  lastDurationMs: z.number().nullable(),
  lastError: z.string().nullable(),
  // additions
  schedule: z.string().nullable(),
  nextRunAt: z.string().nullable(),
  pausedAt: z.string().nullable(),
  pausedBy: z.string().nullable(),
  pauseReason: z.string().nullable(),
  pausedUntil: z.string().nullable(),
  lastRun: z
    .object({
      id: z.string(),
      trigger: z.enum(['schedule', 'api', 'console', 'boot']),
      outcome: z.enum(['running', 'succeeded', 'failed', 'abandoned']),
      instanceId: z.string(),
    })
    .nullable(),
  consecutiveFailures: z.number(),
  /** Instances running this automation now (several only for per-instance automations). */
  runningOn: z.array(z.string()),
});
export type AutomationView = z.infer<typeof automationViewSchema>;

export const runViewSchema = z.object({
  id: z.string(),
  key: z.string(),
  trigger: z.enum(['schedule', 'api', 'console', 'boot']),
  actor: z.string().nullable(),
  instanceId: z.string(),
  slot: z.string().nullable(),
  fence: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'abandoned']),
  error: z.string().nullable(),
  metrics: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
});
export type RunView = z.infer<typeof runViewSchema>;

/** Optional body of pause. An empty body, `{}` or no body at all pause without reason or end. */
export const pauseInputSchema = z
  .object({
    reason: z.string().trim().max(500, 'reason must be at most 500 characters').optional(),
    until: z.iso.datetime({ offset: true, message: 'until must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z' }).optional(),
  })
  .strict();
export type PauseInput = z.infer<typeof pauseInputSchema>;

export const runsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1, 'limit must be between 1 and 200').max(200, 'limit must be between 1 and 200').default(20),
  /** Cursor from the previous page (`nextCursor`). */
  cursor: z.string().max(200).optional(),
});
export type RunsQuery = z.infer<typeof runsQuerySchema>;

/** What run-now did: the run finished, or one was already in flight and this request started nothing. */
export type RunNowResult =
  { outcome: 'finished'; run: RunView; automation: AutomationView } | { outcome: 'already-running'; runningOn: string[]; automation: AutomationView };
