import 'server-only';
import { randomUUID } from 'node:crypto';
import type { InferencePort, RunContext } from '../automations/definition';
import type { Logger } from '../logger';
import { outboundRequest } from '../net/http-client';
import type { OutboundPolicy } from '../net/outbound-policy';
import { type ApiKeyCipher, apiKeyBinding } from './api-key-cipher';
import type { InferenceRepository, PollRecord, SampleRow, ServerRow } from './inference.repository';
import { PollWriter } from './poll-writer';
import { PROBES, type ProbeOutcome } from './server-probes';
import { type StoredCounters, deriveRates, parseStoredCounters } from './sample-rates';

export interface PollConfig {
  concurrency: number;
  deadlineMs: number;
  maxBytes: number;
  maxServersPerRun: number;
  retentionMs: number;
  retentionBatch: number;
  /** Model names stored per sample, and characters kept of each (TENANT_MAX_MODELS_PER_SAMPLE, TENANT_MAX_MODEL_NAME_LENGTH). */
  maxModels: number;
  maxModelNameLength: number;
}

/**
 * The model list as stored: at most `maxModels` distinct names, each cut to `maxNameLength` characters, so a
 * server that reports millions of models (or one enormous name) cannot grow every sample row of its tenant.
 */
export function boundedModels(models: string[] | null, maxModels: number, maxNameLength: number): string[] | null {
  if (models === null) return null;
  const kept = new Set<string>();
  for (const name of models) {
    if (kept.size >= maxModels) break;
    kept.add(name.length > maxNameLength ? name.slice(0, maxNameLength) : name);
  }
  return [...kept];
}

/** What a poll needs of its run: the clock and the signal; the log and progress when it runs as an automation. */
export type PollContext = Pick<RunContext, 'now' | 'signal'> & Partial<Pick<RunContext, 'log' | 'progress'>>;

export interface PollResult {
  dueServers: number;
  processedTenants: number;
  /** Samples deleted by retention at the end of the run. */
  samplesPruned: number;
}

/**
 * The inference-monitoring-poll run: polls every due server once, with at most `concurrency` polls at a time,
 * stores one sample per poll and the server's new status, then enforces sample retention.
 *
 * A server that fails (refused, times out, answers garbage) is a `down` status and a sample with `up = 0` and the
 * reason — never a failed run. The run fails only when the poll itself cannot proceed: the database cannot be
 * read or written, or the run was aborted (its maximum duration, or its lock was lost).
 */
export class InferencePollService implements InferencePort {
  constructor(
    private readonly deps: {
      repository: InferenceRepository;
      cipher: ApiKeyCipher;
      outbound: OutboundPolicy;
      config: PollConfig;
      logger: Logger;
      /** Told about every completed poll (for the Prometheus counters). */
      onPolled?: (kind: string, up: boolean, latencyMs: number) => void;
    },
  ) {}

  async pollDue(ctx: RunContext): Promise<{ dueServers: number; processedTenants: number }> {
    const { dueServers, processedTenants } = await this.pollDueServers(ctx);
    return { dueServers, processedTenants };
  }

  async pollDueServers(ctx: PollContext): Promise<PollResult> {
    const { repository, config } = this.deps;
    // The run's start is the servers' "last polled" time, so the next run of the same cadence finds them due again
    // however long this run's polls took.
    const startedAt = ctx.now();
    const due = await repository.dueServers(startedAt, config.maxServersPerRun);
    const previous = await repository.latestSamples(due.map((s) => s.id));
    const writer = new PollWriter((records) => repository.recordPolls(records));
    const tenants = new Set<string>();
    let polled = 0;
    let writeFailure: { error: unknown } | null = null;
    const writes: Array<Promise<void>> = [];
    let measured = 0;
    let failed = 0;
    ctx.progress?.(0, due.length, 'servers');
    await forEachBounded(due, config.concurrency, ctx.signal, async (server) => {
      if (writeFailure) throw writeFailure.error;
      const record = await this.measure(server, startedAt, previous.get(server.id), ctx);
      if (!record) return;
      if (record.sample.up === 0) failed++;
      ctx.progress?.(++measured, due.length, 'servers');
      // Not awaited: the next server's poll starts while this one waits for its batch.
      const written = writer.add(record).then(
        (stored) => {
          if (!stored) return;
          polled++;
          tenants.add(server.tenant_id);
        },
        (error: unknown) => {
          writeFailure ??= { error };
        },
      );
      writes.push(written);
    });
    await Promise.all(writes);
    if (writeFailure) throw (writeFailure as { error: unknown }).error;
    ctx.signal.throwIfAborted();
    ctx.log?.(failed > 0 ? 'warn' : 'info', `Polled ${measured} of ${due.length} due servers; ${failed} failed`, { due: due.length, polled: measured, failed });
    const samplesPruned = await repository.deleteSamplesBefore(ctx.now() - config.retentionMs, config.retentionBatch);
    return { dueServers: polled, processedTenants: tenants.size, samplesPruned };
  }

  /** Polls one server and records the result; false when the server changed meanwhile and the result was dropped. */
  async pollServer(server: ServerRow, polledAt: number, ctx: PollContext): Promise<boolean> {
    const { repository } = this.deps;
    const record = await this.measure(server, polledAt, (await repository.latestSamples([server.id])).get(server.id), ctx);
    if (!record) return false;
    return (await repository.recordPolls([record])).has(server.id);
  }

  /**
   * Polls one server: its sample (rates from the counters of `previous`, its newest sample) and its new status.
   * Null when the run was cut short meanwhile (its maximum duration, or its lock lost): that says nothing about the
   * server, so nothing is recorded.
   */
  private async measure(
    server: ServerRow,
    polledAt: number,
    previous: Pick<SampleRow, 'at' | 'counters'> | undefined,
    ctx: PollContext,
  ): Promise<PollRecord | null> {
    const started = performance.now();
    const outcome = await this.probe(server, ctx.signal);
    if (ctx.signal.aborted) return null;
    const latencyMs = Math.round(performance.now() - started);
    this.deps.onPolled?.(server.kind, outcome.up, latencyMs);
    const at = ctx.now();
    const endpoint = `${server.kind} ${server.base_url}`;
    const rates = outcome.up
      ? deriveRates(
          outcome.counters,
          at,
          outcome.counters && previous ? { at: Number(previous.at), counters: parseStoredCounters(previous.counters) } : null,
          endpoint,
        )
      : { promptTokensPerSecond: null, generationTokensPerSecond: null, ttftMs: null };
    const counters: StoredCounters | null = outcome.counters ? { endpoint, ...outcome.counters } : null;
    const sample: SampleRow = {
      id: randomUUID(),
      server_id: server.id,
      tenant_id: server.tenant_id,
      at,
      up: outcome.up ? 1 : 0,
      latency_ms: latencyMs,
      requests_running: outcome.requestsRunning,
      requests_waiting: outcome.requestsWaiting,
      kv_cache_usage_pct: outcome.kvCacheUsagePct,
      prompt_tokens_per_s: rates.promptTokensPerSecond,
      generation_tokens_per_s: rates.generationTokensPerSecond,
      ttft_ms: rates.ttftMs,
      models: outcome.models === null ? null : JSON.stringify(boundedModels(outcome.models, this.deps.config.maxModels, this.deps.config.maxModelNameLength)),
      counters: counters === null ? null : JSON.stringify(counters),
      error: outcome.error,
    };
    if (!outcome.up) {
      this.deps.logger.debug({ server: server.id, error: outcome.error }, 'inference server down');
      // outcome.error is the console's own classification (an HTTP status or a failure class), never the answer.
      ctx.log?.('warn', `Server ${server.name} failed: ${outcome.error ?? 'down'}`, {
        server: server.name,
        serverId: server.id,
        kind: server.kind,
        classification: outcome.error,
        tenantId: server.tenant_id,
      });
    }
    return { server, sample, status: { status: outcome.up ? 'up' : 'down', last_polled_at: polledAt, last_latency_ms: latencyMs, last_error: outcome.error } };
  }

  /** Never throws: a server that cannot be polled, for whatever reason, is a down outcome with that reason. */
  private async probe(server: ServerRow, signal: AbortSignal): Promise<ProbeOutcome> {
    const { cipher, config } = this.deps;
    // The reach of whoever set the URL, at every connection (DNS may answer differently each time).
    const outbound = this.deps.outbound.scope('poll', server.reach);
    const down = (error: string): ProbeOutcome => ({
      up: false,
      error,
      requestsRunning: null,
      requestsWaiting: null,
      kvCacheUsagePct: null,
      models: null,
      counters: null,
    });
    const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.5' };
    if (server.api_key_enc) {
      // Decrypts only for the origin the key was given for: a key never follows a changed address.
      const key = cipher.decrypt(server.api_key_enc, apiKeyBinding(server.id, server.base_url));
      if (!key.ok) return down(key.error);
      headers.authorization = `Bearer ${key.value}`;
    }
    // One deadline for the whole poll: requests made later get what is left of it.
    const deadlineAt = performance.now() + config.deadlineMs;
    const base = server.base_url.replace(/\/+$/, '');
    const fetch = (path: string) =>
      outboundRequest(outbound, `${base}${path}`, {
        headers,
        deadlineMs: Math.max(1, Math.round(deadlineAt - performance.now())),
        maxBytes: config.maxBytes,
        signal,
      });
    try {
      return await PROBES[server.kind](fetch, server.base_url);
    } catch (error) {
      // A bug in reading one server's answer must not fail the run for every other server. Its message may quote
      // the answer (a parser's error does), so neither the log nor lastError carries it: the error's class only.
      const kind = error instanceof Error ? error.name : typeof error;
      this.deps.logger.error({ server: server.id, error: kind }, 'inference probe failed unexpectedly');
      return down(`invalid response (${kind})`);
    }
  }
}

/**
 * Runs `work` for every item with at most `limit` in flight. Stops taking new items once `signal` aborts or an
 * item fails; waits for the ones in flight, then throws the first failure.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && !signal.aborted && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
