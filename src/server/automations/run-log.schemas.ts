import 'server-only';
import { z } from 'zod';
import { runViewSchema } from './automation.schemas';

/** A page of a run's log: the lines after `after` (a `seq` from a previous page; 0 from the start). */
export const runLogQuerySchema = z.object({
  after: z.coerce.number().int().min(0, 'after must be a line number (0 or more)').default(0),
  limit: z.coerce.number().int().min(1, 'limit must be between 1 and 1000').max(1000, 'limit must be between 1 and 1000').default(200),
});
export type RunLogQuery = z.infer<typeof runLogQuerySchema>;

export const runLogLineSchema = z.object({
  /** 1, 2, 3 … per run; a reader resumes after the last one it has. */
  seq: z.number(),
  at: z.string(),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).nullable(),
});

export const runProgressSchema = z.object({ done: z.number(), total: z.number(), unit: z.string(), at: z.string() });

export const runLogPageSchema = z.object({
  run: runViewSchema,
  /** The latest progress the run reported (as last written), or null. */
  progress: runProgressSchema.nullable(),
  lines: z.array(runLogLineSchema),
  /** Where the next page starts: the last line's `seq`, or `after` again when there were none. */
  nextAfter: z.number(),
  /** The run has finished and there are no lines after this page: nothing more will come. */
  complete: z.boolean(),
  /** Lines stored for the run (the truncation marker included) and lines dropped past the limits. */
  logLines: z.number(),
  logDropped: z.number(),
});
export type RunLogPage = z.infer<typeof runLogPageSchema>;
