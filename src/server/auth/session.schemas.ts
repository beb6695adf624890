import 'server-only';
import { z } from 'zod';

/** One live session of an operator, as admins see it. The id is the start of the cookie's hash, not the cookie. */
export const sessionViewSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  /** The earlier of the absolute end and the idle end (last seen plus SESSION_IDLE_TIMEOUT_MINUTES). */
  endsAt: z.string(),
  /** Whether this is the session of the admin looking. */
  current: z.boolean(),
});
export type SessionView = z.infer<typeof sessionViewSchema>;

export const operatorSessionsInputSchema = z.object({ operatorId: z.string().min(1).max(100) });

/** Without `sessionId`, every session of the operator ends. */
export const endSessionsInputSchema = z.object({
  operatorId: z.string().min(1).max(100),
  sessionId: z
    .string()
    .regex(/^[0-9a-f]{16}$/, 'must be a session id from the list')
    .optional(),
});
