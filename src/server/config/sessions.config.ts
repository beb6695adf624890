import 'server-only';
import { z } from 'zod';

/**
 * Environment variables of operator sessions and the sign-in audit trail, merged into the one schema in
 * config/env.ts. docs/configuration.md describes each.
 */
export const sessionsEnv = {
  /** A session with no request for this long ends (sliding: every request moves it, recorded at most once a minute). */
  SESSION_IDLE_TIMEOUT_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(720),
  /** Refused sign-ins stay in the audit log this long, then are deleted (other audit entries are kept). */
  AUDIT_FAILED_LOGIN_RETENTION_DAYS: z.coerce.number().min(1).max(3_650).default(30),
};
