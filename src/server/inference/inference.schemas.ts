import 'server-only';
import { z } from 'zod';
import { pageQueryShape } from '../db/keyset-page';
import { SERVER_KINDS } from '../db/tables/inference.tables';

export const serverKindSchema = z.enum(SERVER_KINDS);
export const serverStatusSchema = z.enum(['up', 'down', 'disabled']);

const nameSchema = z.string().trim().min(1, 'name is required').max(100, 'name must be at most 100 characters');
/** Only the shape here; what the URL may point to is the outbound policy's call (checked by the service). */
const baseUrlSchema = z.string().trim().min(1, 'baseUrl is required').max(2_000, 'baseUrl must be at most 2000 characters');
const pollIntervalSchema = z
  .number({ error: 'pollIntervalSeconds must be a whole number of seconds' })
  .int('pollIntervalSeconds must be a whole number of seconds')
  .min(10, 'pollIntervalSeconds must be between 10 and 3600')
  .max(3_600, 'pollIntervalSeconds must be between 10 and 3600');
/** Sent as `Authorization: Bearer <key>`, so only characters a header can carry. */
const apiKeySchema = z
  .string()
  .min(1, 'apiKey must not be empty (send null to remove a stored key)')
  .max(4_096, 'apiKey must be at most 4096 characters')
  .regex(/^[\x21-\x7e]+$/, 'apiKey must be printable ASCII without spaces');

export const serverIdSchema = z.string().min(1).max(100);

export const createServerInputSchema = z.strictObject({
  tenantId: z.string().min(1, 'tenantId is required').max(100),
  name: nameSchema,
  kind: serverKindSchema,
  baseUrl: baseUrlSchema,
  pollIntervalSeconds: pollIntervalSchema.default(30),
  apiKey: apiKeySchema.optional(),
  enabled: z.boolean().default(true),
});
export type CreateServerInput = z.infer<typeof createServerInputSchema>;

/** Changes to a server. `apiKey: null` removes the stored key; leaving it out keeps it. The tenant cannot change. */
export const updateServerInputSchema = z
  .strictObject({
    name: nameSchema.optional(),
    kind: serverKindSchema.optional(),
    baseUrl: baseUrlSchema.optional(),
    pollIntervalSeconds: pollIntervalSchema.optional(),
    apiKey: apiKeySchema.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'give at least one field to change' });
export type UpdateServerInput = z.infer<typeof updateServerInputSchema>;

export const serverViewSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  kind: serverKindSchema,
  baseUrl: z.string(),
  pollIntervalSeconds: z.number(),
  enabled: z.boolean(),
  /** Whether an API key is stored. The key itself is never returned. */
  hasApiKey: z.boolean(),
  status: serverStatusSchema,
  /** Null until the first poll (after creation, re-enabling, or a change of kind, URL or key). */
  lastPolledAt: z.string().nullable(),
  lastLatencyMs: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ServerView = z.infer<typeof serverViewSchema>;

export const listServersQuerySchema = z.strictObject({ tenantId: z.string().min(1).max(100).optional() });
/** REST's GET /inference-servers: the filter and a page (docs/api.md "Pagination"). */
export const pageServersQuerySchema = listServersQuerySchema.extend(pageQueryShape);

export const samplesQuerySchema = z.strictObject({
  since: z.iso.datetime({ offset: true, message: 'since must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z' }).optional(),
  limit: z.coerce.number().int().min(1, 'limit must be between 1 and 1000').max(1_000, 'limit must be between 1 and 1000').default(100),
});
export type SamplesQuery = z.infer<typeof samplesQuerySchema>;

export const sampleViewSchema = z.object({
  serverId: z.string(),
  at: z.string(),
  up: z.boolean(),
  latencyMs: z.number().nullable(),
  requestsRunning: z.number().nullable(),
  requestsWaiting: z.number().nullable(),
  /** 0–100. */
  kvCacheUsagePct: z.number().nullable(),
  promptTokensPerSecond: z.number().nullable(),
  generationTokensPerSecond: z.number().nullable(),
  ttftMs: z.number().nullable(),
  models: z.array(z.string()).nullable(),
  error: z.string().nullable(),
});
export type SampleView = z.infer<typeof sampleViewSchema>;

export const demoStatusSchema = z.object({
  /** DEMO_FLEET=on on this instance. */
  enabled: z.boolean(),
  /** Where this instance serves the simulated endpoints, when it does. */
  baseUrl: z.string().nullable(),
});
export type DemoStatus = z.infer<typeof demoStatusSchema>;
