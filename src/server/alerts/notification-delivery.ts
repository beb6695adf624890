import 'server-only';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import { type OutboundResult, outboundRequest } from '../net/http-client';
import { httpStatusText } from '../net/outbound-errors';
import type { OutboundPolicy } from '../net/outbound-policy';
import type { AlertsConfig } from '../config/alerts.config';
import type { ChannelSecrets } from './channel-secrets';
import { shownChannelUrl } from './channel-urls';
import type { Channel, NotificationOutbox, OutboxRow } from './notification-outbox';
import { STANDARD_WEBHOOK_HEADERS, WEBHOOK_HEADERS, signatureHeader, standardSignatureHeader } from './webhook-signature';

/** Receivers answer with small bodies; anything bigger is not a webhook receiver we should be reading. */
const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * Wait before the next attempt after `attempt` failed ones: base × 2^(attempt−1), capped, with ±20 % jitter so
 * that many notifications failing together do not retry in lockstep. `retryAfterMs` (from a 429/503) is honoured
 * up to the cap.
 */
export function backoffMs(attempt: number, config: Pick<AlertsConfig, 'backoffBaseMs' | 'backoffMaxMs'>, random: () => number, retryAfterMs?: number): number {
  const exponential = config.backoffBaseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30));
  const jittered = exponential * (0.8 + 0.4 * random());
  return Math.round(Math.min(config.backoffMaxMs, Math.max(jittered, retryAfterMs ?? 0)));
}

/** A status worth retrying: server errors, timeouts, rate limits. Other 4xx say the request itself is wrong. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}

function retryAfterMs(result: OutboundResult): number | undefined {
  if (!result.ok) return undefined;
  const header = result.headers['retry-after'];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

export interface DeliveryDeps {
  outbox: NotificationOutbox;
  policy: OutboundPolicy;
  /** Opens the channels' sealed secrets for signing. */
  secrets: ChannelSecrets;
  config: AlertsConfig;
  logger: Logger;
  now: () => number;
  random?: () => number;
  /** Told about every delivery attempt's outcome (for the Prometheus counters). */
  onAttempt?: (channel: string, outcome: 'delivered' | 'retrying' | 'failed') => void;
}

/**
 * Sends queued notifications, on every instance, asynchronously to evaluation. Rows are claimed with a lease
 * (see {@link NotificationOutbox.claimDue}), so instances never send the same attempt twice; a claim whose
 * instance dies is taken over when its lease lapses. Delivery is at least once: a receiver can see a retry of a
 * request it already accepted (its answer lost, or the lease lapsed mid-request), and recognises it by the
 * notification's id, the same on every attempt of one (event, channel) and covered by the signature: the body's
 * `deliveryId` (either scheme) or `webhook-id` (standard-webhooks); `Idempotency-Key` carries it too, unsigned.
 * A failing webhook only delays its own row; it never fails an evaluation run.
 */
export class NotificationDelivery {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private pumpRun: Promise<void> | null = null;
  private repump = false;
  private started = false;
  private readonly random: () => number;
  private readonly leaseMs: number;

  constructor(private readonly deps: DeliveryDeps) {
    this.random = deps.random ?? Math.random;
    // Longer than any attempt can take, so a live instance never loses a claim it is still working on.
    this.leaseMs = deps.config.webhookDeadlineMs * 2 + 5_000;
  }

  /** Starts polling for due rows (also woken by {@link nudge}). Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.timer = setInterval(() => this.nudge(), this.deps.config.deliveryPollMs);
    this.timer.unref();
    this.nudge();
  }

  /** Stops polling and waits for attempts in flight (each is bounded by the webhook deadline). */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pumpRun;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Looks for due rows now (after an evaluation queued some). No-op unless started. */
  nudge(): void {
    if (!this.started) return;
    if (this.pumpRun) {
      this.repump = true;
      return;
    }
    this.pumpRun = this.pump().finally(() => {
      this.pumpRun = null;
    });
  }

  /** Attempts in flight on this instance. */
  busy(): number {
    return this.inFlight.size;
  }

  /**
   * Delivers every row that is due now, `deliveryConcurrency` at a time, and returns how many attempts it made.
   * Rows that fail are queued again for later and not retried within this call. For tests and tools; the
   * running worker does the same continuously.
   */
  async runOnce(): Promise<number> {
    let attempts = 0;
    // Due as of the start: a row that fails now is queued for later than this, so it is not retried in this call.
    const at = this.deps.now();
    for (;;) {
      const rows = await this.deps.outbox.claimDue(this.deps.config.deliveryConcurrency, this.leaseMs, at);
      if (rows.length === 0) return attempts;
      attempts += rows.length;
      await this.deliverAll(rows);
    }
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.repump = false;
        while (this.started && this.inFlight.size < this.deps.config.deliveryConcurrency) {
          const rows = await this.deps.outbox.claimDue(this.deps.config.deliveryConcurrency - this.inFlight.size, this.leaseMs, this.deps.now());
          if (rows.length === 0) break;
          const channels = await this.deps.outbox.channels(rows.map((r) => r.channel_id));
          for (const row of rows) {
            const attempt = this.attempt(row, channels.get(row.channel_id)).finally(() => {
              this.inFlight.delete(attempt);
              this.nudge();
            });
            this.inFlight.add(attempt);
          }
        }
      } while (this.repump && this.started);
    } catch (error) {
      this.deps.logger.warn({ error: errorMessage(error) }, 'notification delivery: could not claim due notifications');
    }
  }

  private async deliverAll(rows: OutboxRow[]): Promise<void> {
    const channels = await this.deps.outbox.channels(rows.map((r) => r.channel_id));
    await Promise.all(rows.map((row) => this.attempt(row, channels.get(row.channel_id))));
  }

  /**
   * One attempt of one claimed row, under the reach of whoever set the channel's URL (no channel: it was removed).
   * Never throws: every outcome is written back to the row.
   */
  private async attempt(row: OutboxRow, channel: Channel | undefined): Promise<void> {
    const { outbox, policy, config, logger, now } = this.deps;
    try {
      if (!channel) {
        await outbox.cancel(row, 'The channel was removed before delivery', now());
        return;
      }
      const timestamp = Math.floor(now() / 1000);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [WEBHOOK_HEADERS.idempotencyKey]: row.id,
        [WEBHOOK_HEADERS.event]: `incident.${row.event_type}`,
        [WEBHOOK_HEADERS.attempt]: String(row.attempts),
      };
      if (row.channel_type === 'webhook') {
        const keys = this.deps.secrets.signingKeys(channel, now());
        if (keys.problem !== null) logger.warn({ notification: row.id, channel: row.channel_id, problem: keys.problem }, 'webhook channel secret unusable');
        // During a rotation's overlap: both signatures, the new one first (docs/alerts.md "Signatures").
        if (keys.secrets.length > 0 && channel.signature_scheme === 'standard-webhooks') {
          headers[STANDARD_WEBHOOK_HEADERS.id] = row.id;
          headers[STANDARD_WEBHOOK_HEADERS.timestamp] = String(timestamp);
          headers[STANDARD_WEBHOOK_HEADERS.signature] = standardSignatureHeader(keys.secrets, row.id, timestamp, row.body);
        } else if (keys.secrets.length > 0) {
          headers[WEBHOOK_HEADERS.timestamp] = String(timestamp);
          headers[WEBHOOK_HEADERS.signature] = signatureHeader(keys.secrets, timestamp, row.body);
        }
      }
      const result = await outboundRequest(policy.scope('webhook', channel.reach), row.url, {
        method: 'POST',
        headers,
        body: row.body,
        deadlineMs: config.webhookDeadlineMs,
        maxBytes: MAX_RESPONSE_BYTES,
      });
      if (result.ok && result.status >= 200 && result.status < 300) {
        await outbox.markDelivered(row.id, result.status, now());
        this.deps.onAttempt?.(row.channel_type, 'delivered');
        return;
      }
      const statusCode = result.ok ? result.status : null;
      // The status or a classification only: the receiver's body never reaches the delivery, the logs or the API.
      const error = result.ok ? httpStatusText(result.status) : result.error;
      // A URL the outbound policy refuses will be refused next time too; so will a request the receiver rejects.
      const permanent = result.ok ? !isRetryableStatus(result.status) : result.code === 'refused';
      const exhausted = row.attempts >= config.maxAttempts;
      const retryAt = permanent || exhausted ? null : now() + backoffMs(row.attempts, config, this.random, retryAfterMs(result));
      await outbox.markAttemptFailed(
        row,
        { statusCode, error: exhausted && !permanent ? `${error} (gave up after ${row.attempts} attempts)` : error, retryAt },
        now(),
      );
      this.deps.onAttempt?.(row.channel_type, retryAt === null ? 'failed' : 'retrying');
      logger.warn(
        { notification: row.id, url: shownChannelUrl(row.channel_type, row.url), attempt: row.attempts, error, retrying: retryAt !== null },
        'notification delivery failed',
      );
    } catch (error) {
      // The database write-back failed; the claim lapses and another pass retries the row.
      logger.warn({ notification: row.id, error: errorMessage(error) }, 'notification delivery: could not record the outcome');
    }
  }
}
