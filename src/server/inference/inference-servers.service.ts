import 'server-only';
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log';
import { isUniqueViolation } from '../db/client';
import { type Page, type PageRequest, decodeCursor, toPage } from '../db/keyset-page';
import { AppError, isAppError } from '../errors';
import type { OutboundPolicy } from '../net/outbound-policy';
import { type OutboundReach, reachOf } from '../net/outbound.config';
import type { Caller } from '../auth/caller';
import { type TenantAccess, canSee, tenantAccessOf } from '../tenants/tenant-access';
import type { TenantService } from '../tenants/tenant.service';
import type { TenantQuotas } from '../config/tenants.config';
import { quotaExceeded } from '../tenants/tenant-quotas';
import { type ApiKeyCipher, apiKeyBinding } from './api-key-cipher';
import type { InferenceRepository, SampleRow, ServerRow } from './inference.repository';
import type { CreateServerInput, SampleView, SamplesQuery, ServerView, UpdateServerInput } from './inference.schemas';

/**
 * Inference servers of tenants: create, change, delete, read, and their samples. Every method takes the
 * {@link Caller} first; servers of tenants the caller may not see are NOT_FOUND. The API key is encrypted before it
 * is stored, bound to the server and its base URL's origin, and is never part of any answer, log line or audit
 * entry. Who set the base URL decides what polls of it may reach (`reach`: a tenant-restricted caller's URLs get
 * the tenant allow-list, never the platform's), checked here for IP literals and by the poller at every connection.
 */
export class InferenceServersService {
  constructor(
    private readonly deps: {
      repository: InferenceRepository;
      tenants: TenantService;
      cipher: ApiKeyCipher;
      outbound: OutboundPolicy;
      audit: AuditLog;
      quotas: TenantQuotas;
      now: () => number;
    },
  ) {}

  /** All visible servers, or one tenant's (NOT_FOUND when that tenant is not visible). */
  async list(caller: Caller, filter: { tenantId?: string }): Promise<ServerView[]> {
    if (filter.tenantId !== undefined) await this.deps.tenants.assertVisible(caller, filter.tenantId);
    const tenantId = filter.tenantId ?? caller.tenantId ?? undefined;
    const rows = await this.deps.repository.listServers({ tenantId });
    return rows.map(toServerView);
  }

  /**
   * One page of {@link list}, in the same order (tenant, then name). Walking `nextCursor` to null sees every server
   * that existed throughout the walk exactly once; a server renamed meanwhile may move to a page already read.
   */
  async listPage(caller: Caller, filter: { tenantId?: string }, page: PageRequest): Promise<Page<ServerView>> {
    if (filter.tenantId !== undefined) await this.deps.tenants.assertVisible(caller, filter.tenantId);
    const tenantId = filter.tenantId ?? caller.tenantId ?? undefined;
    const key = page.cursor === undefined ? undefined : decodeCursor('inference-servers', page.cursor, ['string', 'string']);
    const after = key ? { tenantId: String(key[0]), name: String(key[1]) } : undefined;
    const rows = await this.deps.repository.pageServers({ tenantId }, page.limit + 1, after);
    return toPage('inference-servers', rows, page.limit, (r) => [r.tenant_id, r.name], toServerView);
  }

  async get(caller: Caller, id: string): Promise<ServerView> {
    return toServerView(await this.find(id, tenantAccessOf(caller)));
  }

  /**
   * Registers a server. QUOTA_EXCEEDED when the tenant has TENANT_MAX_INFERENCE_SERVERS already (counted and
   * inserted under the tenant's quota lock); a tenant-restricted caller's poll interval must be at least
   * TENANT_MIN_POLL_INTERVAL_SECONDS.
   */
  async create(caller: Caller, input: CreateServerInput): Promise<ServerView> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    await this.deps.tenants.assertVisible(caller, input.tenantId);
    this.checkPollInterval(input.pollIntervalSeconds, access);
    const id = randomUUID();
    const now = this.deps.now();
    const reach = reachOf(access.restrictedTo);
    const baseUrl = this.normalizeBaseUrl(input.baseUrl, reach);
    const row: ServerRow = {
      id,
      tenant_id: input.tenantId,
      name: input.name,
      kind: input.kind,
      base_url: baseUrl,
      reach,
      api_key_enc: input.apiKey === undefined ? null : this.deps.cipher.encrypt(input.apiKey, apiKeyBinding(id, baseUrl)),
      poll_interval_s: input.pollIntervalSeconds,
      enabled: input.enabled ? 1 : 0,
      // "down" until the first poll says otherwise; lastPolledAt null tells "not polled yet" apart.
      status: input.enabled ? 'down' : 'disabled',
      last_polled_at: null,
      last_latency_ms: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    };
    let inserted: boolean;
    try {
      inserted = await this.deps.repository.insertServerWithinQuota(row, this.deps.quotas.inferenceServers);
    } catch (error) {
      throw this.mapWriteError(error, input.name);
    }
    if (!inserted) throw quotaExceeded('inference servers', this.deps.quotas.inferenceServers, 'TENANT_MAX_INFERENCE_SERVERS');
    await this.deps.audit.record({
      actor,
      action: 'inference-server.create',
      target: id,
      outcome: 'created',
      detail: { tenantId: row.tenant_id, name: row.name, kind: row.kind, baseUrl: row.base_url, apiKey: row.api_key_enc ? 'set' : 'none' },
    });
    return toServerView(row);
  }

  /**
   * Applies changes. A new kind, URL or API key, or re-enabling, makes the server due at once (its last poll
   * described another configuration); disabling sets the status `disabled` and stops polls. A new URL takes the
   * reach of whoever sets it. A new origin (scheme, host or port) on a server with an API key needs `apiKey` in the
   * same change — a new key, or null to drop it — so a key is never sent to an address it was not given for.
   */
  async update(caller: Caller, id: string, input: UpdateServerInput): Promise<ServerView> {
    const access = tenantAccessOf(caller);
    const actor = caller.label;
    const before = await this.find(id, access);
    if (input.pollIntervalSeconds !== undefined) this.checkPollInterval(input.pollIntervalSeconds, access);
    const changes: Partial<ServerRow> = {};
    const audited: Record<string, unknown> = {};
    if (input.name !== undefined && input.name !== before.name) changes.name = audited.name = input.name;
    if (input.kind !== undefined && input.kind !== before.kind) changes.kind = audited.kind = input.kind;
    if (input.baseUrl !== undefined) {
      const reach = reachOf(access.restrictedTo);
      const url = this.normalizeBaseUrl(input.baseUrl, reach);
      if (url !== before.base_url) {
        changes.base_url = audited.baseUrl = url;
        if (reach !== before.reach) changes.reach = audited.reach = reach;
      }
    }
    const baseUrl = changes.base_url ?? before.base_url;
    if (before.api_key_enc !== null && input.apiKey === undefined && new URL(baseUrl).origin !== new URL(before.base_url).origin) {
      const message =
        'baseUrl: the new address has another origin (scheme, host or port) and this server has an API key; give apiKey ' +
        'again in the same change (the key for the new address, or null to remove it) — a stored key is never sent to another address';
      throw new AppError('INVALID_INPUT', message, { issues: [{ path: 'apiKey', message: 'required when the origin of baseUrl changes' }] });
    }
    if (input.pollIntervalSeconds !== undefined && input.pollIntervalSeconds !== before.poll_interval_s) {
      changes.poll_interval_s = audited.pollIntervalSeconds = input.pollIntervalSeconds;
    }
    if (input.apiKey !== undefined) {
      changes.api_key_enc = input.apiKey === null ? null : this.deps.cipher.encrypt(input.apiKey, apiKeyBinding(id, baseUrl));
      audited.apiKey = input.apiKey === null ? 'removed' : 'replaced';
    }
    const enabled = input.enabled ?? before.enabled === 1;
    if (enabled !== (before.enabled === 1)) {
      changes.enabled = enabled ? 1 : 0;
      audited.enabled = enabled;
    }
    if (Object.keys(changes).length === 0) return toServerView(before);

    const reconfigured = changes.kind !== undefined || changes.base_url !== undefined || changes.api_key_enc !== undefined;
    if (!enabled) changes.status = 'disabled';
    else if (reconfigured || changes.enabled === 1) Object.assign(changes, { status: 'down', last_polled_at: null, last_error: null, last_latency_ms: null });
    changes.updated_at = Math.max(this.deps.now(), before.updated_at + 1); // a poll in flight must see the change
    try {
      await this.deps.repository.updateServer(id, changes);
    } catch (error) {
      throw this.mapWriteError(error, input.name ?? before.name);
    }
    await this.deps.audit.record({ actor, action: 'inference-server.update', target: id, outcome: 'updated', detail: audited });
    return toServerView({ ...before, ...changes });
  }

  /** Deletes the server and its samples. */
  async delete(caller: Caller, id: string): Promise<ServerView> {
    const actor = caller.label;
    const row = await this.find(id, tenantAccessOf(caller));
    await this.deps.repository.deleteServer(id);
    await this.deps.audit.record({
      actor,
      action: 'inference-server.delete',
      target: id,
      outcome: 'deleted',
      detail: { tenantId: row.tenant_id, name: row.name },
    });
    return toServerView(row);
  }

  /** Newest first; `since` inclusive. */
  async samples(caller: Caller, id: string, query: SamplesQuery): Promise<SampleView[]> {
    await this.find(id, tenantAccessOf(caller));
    const rows = await this.deps.repository.samples(id, { since: query.since === undefined ? undefined : Date.parse(query.since), limit: query.limit });
    return rows.map(toSampleView);
  }

  private async find(id: string, access: TenantAccess): Promise<ServerRow> {
    const row = await this.deps.repository.getServer(id);
    if (!row || !canSee(access, row.tenant_id)) throw new AppError('NOT_FOUND', `Inference server not found: ${id}`);
    return row;
  }

  /** Tenant-restricted callers poll no more often than TENANT_MIN_POLL_INTERVAL_SECONDS; the platform down to 10 s. */
  private checkPollInterval(seconds: number, access: TenantAccess): void {
    const min = this.deps.quotas.minPollIntervalSeconds;
    if (access.restrictedTo === null || seconds >= min) return;
    const message = `pollIntervalSeconds must be at least ${min} for a tenant-restricted token (TENANT_MIN_POLL_INTERVAL_SECONDS)`;
    throw new AppError('INVALID_INPUT', `Invalid request body: ${message}`, { issues: [{ path: 'pollIntervalSeconds', message }] });
  }

  /** The outbound policy's verdict for polls of that reach, with the path prefix kept and no trailing slash, query or fragment. */
  private normalizeBaseUrl(text: string, reach: OutboundReach): string {
    let url: URL;
    try {
      url = this.deps.outbound.scope('poll', reach).parseUrl(text, 'baseUrl');
    } catch (error) {
      if (isAppError(error)) throw new AppError('INVALID_INPUT', error.message, { issues: [{ path: 'baseUrl', message: error.message }] });
      throw error;
    }
    if (url.search || url.hash) {
      const message = 'baseUrl must not have a query or fragment: give the server root (a path prefix is fine)';
      throw new AppError('INVALID_INPUT', message, { issues: [{ path: 'baseUrl', message }] });
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  }

  private mapWriteError(error: unknown, name: string): unknown {
    if (isUniqueViolation(error)) return new AppError('CONFLICT', `This tenant already has an inference server named "${name}"`);
    return error;
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function toServerView(row: ServerRow): ServerView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    kind: row.kind,
    baseUrl: row.base_url,
    pollIntervalSeconds: Number(row.poll_interval_s),
    enabled: row.enabled === 1,
    hasApiKey: row.api_key_enc !== null,
    status: row.status,
    lastPolledAt: iso(row.last_polled_at),
    lastLatencyMs: row.last_latency_ms === null ? null : Number(row.last_latency_ms),
    lastError: row.last_error,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

export function toSampleView(row: SampleRow): SampleView {
  let models: string[] | null = null;
  if (row.models) {
    try {
      const parsed = JSON.parse(row.models) as unknown;
      if (Array.isArray(parsed)) models = parsed.filter((m): m is string => typeof m === 'string');
    } catch {
      models = null;
    }
  }
  return {
    serverId: row.server_id,
    at: new Date(Number(row.at)).toISOString(),
    up: row.up === 1,
    latencyMs: row.latency_ms,
    requestsRunning: row.requests_running,
    requestsWaiting: row.requests_waiting,
    kvCacheUsagePct: row.kv_cache_usage_pct,
    promptTokensPerSecond: row.prompt_tokens_per_s,
    generationTokensPerSecond: row.generation_tokens_per_s,
    ttftMs: row.ttft_ms,
    models,
    error: row.error,
  };
}
