import 'server-only';
import { z } from 'zod';
import { CLOSE_REASONS, SESSION_STATUSES } from '../../shared/session-statuses';
import { pageQueryShape } from '../db/keyset-page';

/**
 * Browser session schemas, shared by the REST routes and the tRPC router (inputs and outputs), so both surfaces
 * accept and answer exactly the same shapes.
 */

// The session vocabulary lives in src/shared (the console's pages read it too); server code keeps importing it here.
export {
  CLOSE_REASONS,
  LIVE_SESSION_STATUSES,
  SESSION_STATUSES,
  isLiveStatus,
  type LiveSessionStatus,
  type SessionCloseReason,
  type SessionStatus,
} from '../../shared/session-statuses';

const MAX_TIMEOUT_MS = 7 * 86_400_000;

export const sessionIdSchema = z.uuid({ message: 'Invalid session id: expected a UUID' });

const urlField = z.string().trim().min(1, 'url is required').max(2048, 'url must be at most 2048 characters');

/**
 * Body of create. Timeouts are checked here for shape only; the configured limits (BROWSER_*_MAX_MS) are checked
 * by the service, which knows them. The URL's scheme and address are checked by the shared outbound policy.
 */
export const createSessionInputSchema = z
  .object({
    tenantId: z.string().trim().min(1, 'tenantId is required').max(128),
    url: urlField,
    idleTimeoutMs: z.number().int().min(1000, 'idleTimeoutMs must be at least 1000').max(MAX_TIMEOUT_MS).optional(),
    maxLifetimeMs: z.number().int().min(1000, 'maxLifetimeMs must be at least 1000').max(MAX_TIMEOUT_MS).optional(),
  })
  .strict();
export type CreateSessionInput = z.infer<typeof createSessionInputSchema>;

export const navigateInputSchema = z.object({ url: urlField }).strict();
export type NavigateInput = z.infer<typeof navigateInputSchema>;

export const listSessionsQuerySchema = z.object({
  tenantId: z.string().trim().min(1).max(128).optional(),
  status: z.enum(SESSION_STATUSES, { message: `status must be one of ${SESSION_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1, 'limit must be between 1 and 500').max(500, 'limit must be between 1 and 500').default(100),
});
export type ListSessionsQuery = z.infer<typeof listSessionsQuerySchema>;
/** REST's GET /browser/sessions: the filters, `limit` as before, and `cursor` (docs/api.md "Pagination"). */
export const pageSessionsQuerySchema = listSessionsQuerySchema.extend({ cursor: pageQueryShape.cursor });

export const sessionViewSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  ownerInstanceId: z.string(),
  status: z.enum(SESSION_STATUSES),
  startUrl: z.string(),
  currentUrl: z.string().nullable(),
  title: z.string().nullable(),
  createdAt: z.string(),
  lastActivityAt: z.string(),
  idleTimeoutMs: z.number(),
  maxLifetimeMs: z.number(),
  /** When the reaper may close it for idleness (last activity + idle timeout); null once it is not live. */
  idleExpiresAt: z.string().nullable(),
  /** When the reaper closes it at the latest (created + max lifetime); null once it is not live. */
  lifetimeExpiresAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  closeReason: z.enum(CLOSE_REASONS).nullable(),
  error: z.string().nullable(),
  blockedRequests: z.number(),
  /** When the console's thumbnail was taken; null when there is none. */
  thumbnailAt: z.string().nullable(),
});
export type SessionView = z.infer<typeof sessionViewSchema>;

export const sessionResultSchema = z.object({ session: sessionViewSchema });
export const sessionListSchema = z.object({ sessions: z.array(sessionViewSchema) });
export const sessionPageSchema = z.object({ sessions: z.array(sessionViewSchema), nextCursor: z.string().nullable() });

export const thumbnailSchema = z.object({ dataUrl: z.string().nullable(), capturedAt: z.string().nullable() });
export const screenshotResultSchema = z.object({ dataUrl: z.string(), session: sessionViewSchema });
export const tenantOptionSchema = z.object({ id: z.string(), name: z.string() });
