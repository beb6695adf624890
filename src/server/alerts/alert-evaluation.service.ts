import type { Kysely } from 'kysely';
import type { AlertsPort, RunContext } from '../automations/definition';
import type { Database } from '../db/schema';
import { AppError } from '../errors';

/**
 * Evaluates enabled alert rules. The rule engine arrives with the alerts issue; this build has no way to create
 * rules, so a run finds none and reports zeros. If enabled rules exist anyway, the run fails and says why.
 */
export class AlertEvaluationService implements AlertsPort {
  constructor(private readonly db: Kysely<Database>) {}

  async evaluateAll(_ctx: RunContext): Promise<{ firedCount: number; processedTenants: number }> {
    const row = await this.db
      .selectFrom('alert_rules')
      .select((eb) => eb.fn.countAll<number>().as('rules'))
      .where('enabled', '=', 1)
      .executeTakeFirstOrThrow();
    if (Number(row.rules) > 0) {
      throw new AppError('INTERNAL', `${row.rules} enabled alert rules exist, but this build cannot evaluate rules yet`);
    }
    return { firedCount: 0, processedTenants: 0 };
  }

  async pendingDeliveries(): Promise<number> {
    const row = await this.db
      .selectFrom('notification_outbox')
      .select((eb) => eb.fn.countAll<number>().as('pending'))
      .where('status', 'in', ['queued', 'in_flight'])
      .executeTakeFirstOrThrow();
    return Number(row.pending);
  }
}
