import 'server-only';
import type { ChangeBus } from '../coordination/change-bus';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import type { AutomationDefinition } from './definition';
import type { RunRepository } from './run.repository';

/**
 * Runs whose instance died are closed once their lease lapses; checking every second keeps "abandoned" within one
 * lease of the crash (the lease is 15 s from the last renewal).
 */
const SWEEP_EVERY_MS = 1_000;
/** Retention is looked at this often, and applied once an hour (the first time soon after start). */
const PRUNE_CHECK_EVERY_MS = 5_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * The run records' upkeep on every instance (DESIGN §4.6): the abandoned-run sweep, and retention (per automation
 * and by age). Both are idempotent across instances: each statement only touches rows that still qualify.
 */
export class RunHousekeeping {
  private timers: NodeJS.Timeout[] = [];
  private sweeping = false;
  private lastPrune = 0;

  constructor(
    private readonly deps: {
      definitions: readonly AutomationDefinition[];
      runs: RunRepository;
      bus: ChangeBus;
      retention: { perAutomation: number; days: number };
      logger: Logger;
      now: () => number;
    },
  ) {}

  start(): void {
    if (this.timers.length > 0) return;
    this.timers = [setInterval(() => this.sweep(), SWEEP_EVERY_MS), setInterval(() => void this.prune(), PRUNE_CHECK_EVERY_MS)];
    for (const timer of this.timers) timer.unref();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /** Closes runs whose lease lapsed as abandoned and tells every instance; one sweep at a time. */
  private sweep(): void {
    if (this.sweeping) return;
    this.sweeping = true;
    const { runs, bus, now, logger } = this.deps;
    void runs
      .abandonLapsed(now())
      .then(async (keys) => {
        for (const key of keys) await bus.publish({ type: 'automation', key, reason: 'run-abandoned' });
      })
      .catch((error: unknown) => logger.warn({ error: errorMessage(error) }, 'abandoned-run sweep failed'))
      .finally(() => {
        this.sweeping = false;
      });
  }

  private async prune(): Promise<void> {
    const { runs, now, retention } = this.deps;
    if (now() - this.lastPrune <= PRUNE_EVERY_MS) return;
    this.lastPrune = now();
    try {
      for (const d of this.deps.definitions) await runs.prune(d.key, retention.perAutomation, now() - retention.days * 86_400_000);
    } catch (error) {
      this.deps.logger.warn({ error: errorMessage(error) }, 'run retention failed');
    }
  }
}
