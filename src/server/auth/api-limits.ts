import 'server-only';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { type LimiterStore, type Verdict, consume, createLimiter, retryAfterSeconds, used } from './limiters';

/**
 * The client API's two limits, both rate-limiter-flexible counters (global across instances with Redis, per
 * instance without):
 * - requests per token per minute (API_RATE_LIMIT_PER_MINUTE), counted for every authenticated request;
 * - failed authentications per client per minute (AUTH_FAILURES_PER_MINUTE): a well-formed token with a valid
 *   checksum is cheap to forge (CRC32 is no secret), so past the limit a client is refused before its token is
 *   even looked up.
 */
export class ApiLimits {
  private readonly perToken: RateLimiterAbstract;
  private readonly failures: RateLimiterAbstract;

  constructor(
    store: LimiterStore,
    private readonly config: { perTokenPerMinute: number; failuresPerMinute: number },
  ) {
    this.perToken = createLimiter(store, 'api', config.perTokenPerMinute, 60);
    this.failures = createLimiter(store, 'auth-fail', config.failuresPerMinute, 60);
  }

  /** Counts one request of an authenticated token. */
  hitToken(tokenId: string): Promise<Verdict> {
    return consume(this.perToken, tokenId);
  }

  /** Whether a client may present a token at all (it has not failed too often this minute). */
  async mayAuthenticate(clientKey: string): Promise<Verdict> {
    const { points, msBeforeNext } = await used(this.failures, clientKey);
    if (points < this.config.failuresPerMinute) return { allowed: true };
    return { allowed: false, retryAfterSeconds: retryAfterSeconds(msBeforeNext) };
  }

  /** Counts a failed authentication (missing, malformed, unknown, revoked or expired token). */
  async recordFailure(clientKey: string): Promise<void> {
    await this.failures.penalty(clientKey);
  }
}
