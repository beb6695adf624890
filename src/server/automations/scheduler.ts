import 'server-only';
import cron, { type ScheduledTask } from 'node-cron';
import type { LockHealth } from '../coordination/lock-health';
import type { LockProvider } from '../coordination/lock-provider';
import { errorMessage, isAppError } from '../errors';
import type { Logger } from '../logger';
import type { AutomationDefinition } from './definition';
import { AUTOMATIONS } from './registry';
import type { RunExecutor } from './run-executor';
import { SCHEDULE_TIMEZONE, longestGapMs } from './schedule';

/**
 * Why a tick did not run, as counted and exported (`console_scheduler_skipped_ticks_total{reason}`, a contract for
 * dashboards). `claimed-elsewhere` and `already-running` are the executor's outcomes of the same names.
 */
export const SKIP_REASONS = ['paused', 'claimed-elsewhere', 'lock-store-unavailable', 'already-running', 'shutting-down', 'error'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * Fires every scheduled automation on its cron on this instance. Each tick: skip if paused → claim the slot
 * (automation + fire time) in the lock store → run under the run mutex. Every instance's cron fires; the slot
 * claim makes exactly one of them run it. Skipped ticks are counted by reason.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly skipped = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly deps: {
      schedules: Record<string, string | null>;
      locks: LockProvider;
      lockHealth: LockHealth;
      executor: RunExecutor;
      isPaused: (key: string) => Promise<boolean>;
      instanceId: string;
      logger: Logger;
      now: () => number;
      onSkip?: (key: string, reason: SkipReason) => void;
    },
  ) {}

  /** Starts one cron task per scheduled automation. Calling it twice starts nothing new. */
  start(): void {
    if (this.tasks.length > 0) return;
    for (const definition of AUTOMATIONS) {
      const schedule = this.deps.schedules[definition.key];
      if (!schedule) continue;
      const task = cron.schedule(schedule, (context) => this.tick(definition, schedule, context.date), {
        name: definition.key,
        timezone: SCHEDULE_TIMEZONE,
        noOverlap: false,
      });
      this.tasks.push(task);
    }
    this.deps.logger.info({ automations: this.tasks.map((t) => t.name) }, 'scheduler started');
  }

  /** Stops taking ticks. In-flight runs are drained by the executor. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks.length = 0;
  }

  /** Skipped ticks so far, by `key:reason`. */
  skippedTicks(): Record<string, number> {
    return Object.fromEntries(this.skipped);
  }

  /** One tick; public so tests can drive slots without waiting for the clock. */
  async tick(definition: AutomationDefinition, schedule: string, firedAt: Date): Promise<void> {
    const slot = Math.floor(firedAt.getTime() / 1000) * 1000;
    const log = this.deps.logger.child({ automation: definition.key, slot: new Date(slot).toISOString() });
    if (this.stopped) return this.skip(definition, 'shutting-down');
    try {
      if (await this.deps.isPaused(definition.key)) return this.skip(definition, 'paused');
      const claimName = definition.scope === 'instance' ? `${definition.key}:${this.deps.instanceId}` : definition.key;
      // Claims outlive the slot by several intervals so a lagging clock cannot claim it again.
      const claimTtl = Math.max(3 * longestGapMs(schedule, slot), 60_000);
      const claimed = await this.deps.locks.claimSlot(claimName, String(slot), claimTtl);
      this.deps.lockHealth.reportSuccess();
      if (!claimed) return this.skip(definition, 'claimed-elsewhere');
      const result = await this.deps.executor.execute(definition, { trigger: 'schedule', actor: 'system:scheduler', slot });
      if (result.outcome !== 'finished') return this.skip(definition, result.outcome);
    } catch (error) {
      if (isAppError(error) && error.code === 'LOCK_STORE_UNAVAILABLE') {
        this.deps.lockHealth.reportFailure(error.message, this.deps.now());
        return this.skip(definition, 'lock-store-unavailable');
      }
      if (isAppError(error) && error.code === 'SHUTTING_DOWN') return this.skip(definition, 'shutting-down');
      log.error({ error: errorMessage(error) }, 'scheduled tick failed');
      this.skip(definition, 'error');
    }
  }

  private skip(definition: AutomationDefinition, reason: SkipReason): void {
    const id = `${definition.key}:${reason}`;
    this.skipped.set(id, (this.skipped.get(id) ?? 0) + 1);
    this.deps.onSkip?.(definition.key, reason);
    if (reason !== 'claimed-elsewhere' && reason !== 'paused') {
      this.deps.logger.debug({ automation: definition.key, reason }, 'tick skipped');
    }
  }
}
