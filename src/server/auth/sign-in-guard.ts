import 'server-only';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../errors';
import { type LimiterStore, createLimiter, retryAfterSeconds, used } from './limiters';

export interface SignInGuardConfig {
  concurrency: number;
  queue: number;
  freeAttempts: number;
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  clientFailures: number;
  accountFailures: number;
}

/** Sign-ins one client may have in progress (verifying or waiting) at once in this process. */
const IN_PROGRESS_PER_CLIENT = 2;
/** The window of the spraying and account budgets. */
const BUDGET_WINDOW_SECONDS = 15 * 60;
/** How long a run of failures of one client on one account is remembered (a success forgets it at once). */
const FAILURE_MEMORY_SECONDS = 24 * 3600;

function refused(seconds: number, why: string): AppError {
  return new AppError('RATE_LIMITED', `${why}; try again in ${seconds} s`, { retryAfterSeconds: seconds });
}

/**
 * What stands between an anonymous caller and a password verification (argon2, ~50 ms of a core and 19 MiB each):
 *
 * - **throttle** (rate-limiter-flexible; in Redis when configured, so it holds across instances):
 *   per (account, client) a few free failures, then an exponential backoff (capped) that a success clears;
 *   per client a failure budget across all accounts (spraying); per account a failure budget across all clients
 *   that, once spent, refuses only clients that have already failed on that account. A client that has not failed
 *   is never refused because someone else guessed, so nobody can lock the real owner out.
 * - **gate** (per process): at most `concurrency` verifications at once, at most `queue` waiting, at most two in
 *   progress per client; past those the answer is 429 at once instead of a growing pile of work.
 *
 * Clients are keys from http/client-address.ts (the socket's peer or the trusted proxies' view), never a header the
 * client can choose.
 */
export class SignInGuard {
  private readonly pairFailures: RateLimiterAbstract;
  private readonly pairBlocks: RateLimiterAbstract;
  private readonly clientFailures: RateLimiterAbstract;
  private readonly accountFailures: RateLimiterAbstract;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly inProgress = new Map<string, number>();

  constructor(
    store: LimiterStore,
    private readonly config: SignInGuardConfig,
  ) {
    // Points are never the limit here: these count failures, and the decisions are made below.
    this.pairFailures = createLimiter(store, 'signin-pair', 1_000_000, FAILURE_MEMORY_SECONDS);
    this.pairBlocks = createLimiter(store, 'signin-block', 1, config.backoffMaxSeconds);
    this.clientFailures = createLimiter(store, 'signin-client', 1_000_000, BUDGET_WINDOW_SECONDS);
    this.accountFailures = createLimiter(store, 'signin-account', 1_000_000, BUDGET_WINDOW_SECONDS);
  }

  /**
   * Runs one sign-in attempt: refuses it (RATE_LIMITED) when the throttle says so or the gate is full, else runs
   * `verify` in a verification slot and records its outcome (`true` = right password).
   */
  async attempt<T>(account: string, client: string, verify: () => Promise<{ ok: true; value: T } | { ok: false; error: AppError }>): Promise<T> {
    await this.check(account, client);
    const mine = this.inProgress.get(client) ?? 0;
    if (mine >= IN_PROGRESS_PER_CLIENT) throw refused(1, 'A sign-in from this client is already in progress');
    if (this.running >= this.config.concurrency && this.waiting.length >= this.config.queue) throw refused(1, 'Too many sign-ins in progress');
    this.inProgress.set(client, mine + 1);
    try {
      await this.acquire();
      try {
        // Failures recorded while this attempt waited count too.
        await this.check(account, client);
        const outcome = await verify();
        if (outcome.ok) {
          await this.recordSuccess(account, client);
          return outcome.value;
        }
        await this.recordFailure(account, client);
        throw outcome.error;
      } finally {
        this.release();
      }
    } finally {
      const left = (this.inProgress.get(client) ?? 1) - 1;
      if (left <= 0) this.inProgress.delete(client);
      else this.inProgress.set(client, left);
    }
  }

  /** Verifications running and waiting in this process (for tests and metrics). */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private async check(account: string, client: string): Promise<void> {
    const pair = pairKey(account, client);
    const [block, clientUsed, pairUsed, accountUsed] = await Promise.all([
      used(this.pairBlocks, pair),
      used(this.clientFailures, client),
      used(this.pairFailures, pair),
      used(this.accountFailures, account),
    ]);
    if (block.points > 1) throw refused(retryAfterSeconds(block.msBeforeNext), 'Too many failed sign-ins for this account from here');
    if (clientUsed.points >= this.config.clientFailures) throw refused(retryAfterSeconds(clientUsed.msBeforeNext), 'Too many failed sign-ins from here');
    if (pairUsed.points > 0 && accountUsed.points >= this.config.accountFailures) {
      throw refused(retryAfterSeconds(accountUsed.msBeforeNext), 'Too many failed sign-ins for this account');
    }
  }

  private async recordFailure(account: string, client: string): Promise<void> {
    const pair = pairKey(account, client);
    const [pairRes] = await Promise.all([this.pairFailures.penalty(pair), this.clientFailures.penalty(client), this.accountFailures.penalty(account)]);
    const over = pairRes.consumedPoints - this.config.freeAttempts;
    if (over >= 0) {
      const seconds = Math.min(this.config.backoffMaxSeconds, this.config.backoffBaseSeconds * 2 ** Math.min(over, 30));
      await this.pairBlocks.block(pair, seconds);
    }
  }

  private async recordSuccess(account: string, client: string): Promise<void> {
    const pair = pairKey(account, client);
    await Promise.all([this.pairFailures.delete(pair), this.pairBlocks.delete(pair)]);
  }

  private acquire(): Promise<void> {
    if (this.running < this.config.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next) next();
    else this.running--;
  }
}

function pairKey(account: string, client: string): string {
  return `${client}|${account}`;
}
