import 'server-only';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { InferenceRepository } from '../inference/inference.repository';
import type { Caller } from '../auth/caller';
import type { TenantService } from '../tenants/tenant.service';
import { judge } from './alert-condition';
import { METRICS, type MetricColumn } from '../../shared/alert-metrics';
import type { PreviewInput, PreviewView, TargetsView } from './alerts.schemas';
import { aggregateWindows } from './sample-aggregation';

/** What the alerts domain reads of the tenants domain: through its service, never its table. */
export type TenantReads = Pick<TenantService, 'assertVisible' | 'names'>;
/** What the alerts domain reads of the inference domain's servers: through its repository, never its table. */
export type ServerReads = Pick<InferenceRepository, 'getServer' | 'listServers'>;
/** What these reads need of the caller: its tenant restriction. */
type Scope = Pick<Caller, 'tenantId'>;

/**
 * What a rule can watch: the tenants and servers to choose from, the check that a rule's server belongs to its
 * tenant, and the preview of a draft rule over the servers in its scope.
 */
export class RuleScope {
  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      tenants: TenantReads;
      servers: ServerReads;
    },
  ) {}

  /** NOT_FOUND unless the tenant exists and the caller may see it (other tenants answer like missing ones). */
  requireTenant(caller: Scope, tenantId: string): Promise<void> {
    return this.deps.tenants.assertVisible(caller, tenantId);
  }

  /** INVALID_INPUT unless `serverId` (when given) is an inference server of `tenantId`. */
  async checkServer(tenantId: string, serverId: string | null): Promise<void> {
    if (serverId === null) return;
    const server = await this.deps.servers.getServer(serverId);
    if (server?.tenant_id !== tenantId) {
      throw new AppError('INVALID_INPUT', `Invalid request body: serverId: ${serverId} is not an inference server of tenant ${tenantId}`, {
        issues: [{ path: 'serverId', message: `not an inference server of tenant ${tenantId}` }],
      });
    }
  }

  /** The draft rule's current value and verdict per server, computed exactly as an evaluation would at `now`. */
  async preview(caller: Scope, input: PreviewInput, now: number): Promise<PreviewView> {
    await this.requireTenant(caller, input.tenantId);
    await this.checkServer(input.tenantId, input.serverId);
    const column: MetricColumn = METRICS[input.metric].column;
    const inScope = (await this.deps.servers.listServers({ tenantId: input.tenantId })).filter(
      (s) => s.enabled === 1 && (input.serverId === null || s.id === input.serverId),
    );
    const windows = inScope.map((s) => ({
      ruleId: 'draft',
      serverId: s.id,
      serverName: s.name,
      column,
      windowMinutes: input.windowMinutes,
      aggregation: input.aggregation,
    }));
    const { samples, values } = await aggregateWindows(this.deps.db, windows, now, { countSamples: true });
    const servers = windows
      .map((w, i) => {
        const aggregated = values[i] as number;
        const verdict = judge(input, Number.isNaN(aggregated) ? null : aggregated);
        const value = verdict.kind === 'keep' ? null : verdict.value;
        const outcome = Number.isNaN(aggregated) ? ('no-data' as const) : verdict.kind === 'breaching' ? ('breaching' as const) : ('ok' as const);
        return { serverId: w.serverId, serverName: w.serverName, samples: samples?.[i] ?? 0, value, outcome, wouldAlert: verdict.kind === 'breaching' };
      })
      .sort((a, b) => a.serverName.localeCompare(b.serverName));
    return { windowStart: new Date(now - input.windowMinutes * 60_000).toISOString(), windowEnd: new Date(now).toISOString(), servers };
  }

  /** Tenants and their servers, for choosing a rule's scope. */
  async targets(caller: Scope): Promise<TargetsView> {
    const tenants = await this.deps.tenants.names(caller);
    const servers = await this.deps.servers.listServers(caller.tenantId === null ? {} : { tenantId: caller.tenantId });
    return tenants.map((t) => ({
      tenantId: t.id,
      tenantName: t.name,
      servers: servers.filter((s) => s.tenant_id === t.id).map((s) => ({ id: s.id, name: s.name, enabled: s.enabled === 1 })),
    }));
  }
}
