import 'server-only';
import { z } from 'zod';

/**
 * Environment variables of sign-in protection, merged into src/server/config/env.ts. Counters live in Redis when
 * REDIS_URL is set (shared by every instance), in process memory otherwise. docs/configuration.md describes each.
 */
export const signInEnv = {
  /**
   * Password verifications (argon2) running at once in this process. One leaves the other cores to everything
   * else under a sign-in flood; an honest sign-in waits at most the queue's length of ~50 ms verifications.
   */
  SIGN_IN_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Sign-ins that may wait for a verification slot; past it the answer is 429 "Too many sign-ins in progress". */
  SIGN_IN_QUEUE: z.coerce.number().int().min(0).max(10_000).default(16),
  /** Wrong passwords one client may try on one account before backoff starts. */
  SIGN_IN_FREE_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(5),
  /** First backoff after the free attempts; doubles with every further failure. */
  SIGN_IN_BACKOFF_BASE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(2),
  /** Longest backoff. */
  SIGN_IN_BACKOFF_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** Failed sign-ins one client may make across all accounts per 15 minutes (password spraying). */
  SIGN_IN_CLIENT_FAILURES: z.coerce.number().int().min(1).max(100_000).default(20),
  /**
   * Failed sign-ins per account per 15 minutes from all clients together. Once spent, only clients that have
   * already failed on that account are refused; a client that has not failed still gets its attempt.
   */
  SIGN_IN_ACCOUNT_FAILURES: z.coerce.number().int().min(1).max(100_000).default(50),
};
