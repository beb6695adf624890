import { type Kysely, sql } from 'kysely';
import type { InferencePort, RunContext } from '../automations/definition';
import type { Database } from '../db/schema';
import { AppError } from '../errors';

/**
 * Selects the inference servers that are due (enabled, and never polled or polled at least one interval ago).
 * The HTTP poller itself arrives with the inference issue; this build has no way to register servers, so the
 * due set is empty and the run reports zeros. If servers exist anyway, the run fails and says why rather than
 * pretending to have polled them.
 */
export class InferencePollService implements InferencePort {
  constructor(private readonly db: Kysely<Database>) {}

  async dueServers(now: number) {
    return this.db
      .selectFrom('inference_servers')
      .select(['id', 'tenant_id'])
      .where('enabled', '=', 1)
      .where((eb) =>
        eb.or([
          eb('last_polled_at', 'is', null),
          eb(sql<number>`last_polled_at + poll_interval_s * 1000`, '<=', now),
        ]),
      )
      .execute();
  }

  async pollDue(ctx: RunContext): Promise<{ dueServers: number; processedTenants: number }> {
    const due = await this.dueServers(ctx.now());
    if (due.length > 0) {
      throw new AppError('INTERNAL', `${due.length} inference servers are due, but this build cannot poll servers yet`);
    }
    return { dueServers: 0, processedTenants: 0 };
  }
}
