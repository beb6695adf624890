import 'server-only';
import type { AuditLog } from '../audit/audit-log';
import type { ChangeBus } from '../coordination/change-bus';
import type { Caller } from '../auth/caller';
import { AppError } from '../errors';
import { actorFor } from '../tenants/actor-redaction';
import { tenantAccessOf } from '../tenants/tenant-access';
import type { AutomationView, PauseInput, RunNowResult, RunsQuery, RunView } from './automation.schemas';
import type { AutomationDefinition } from './definition';
import type { PauseRepository } from './pause.repository';
import { AUTOMATIONS, KEY_PATTERN, findDefinition } from './registry';
import type { RunExecutor } from './run-executor';
import type { RunRequests } from './run-requests';
import type { RunRecord, RunRepository } from './run.repository';
import type { RunLogRepository } from './run-log.repository';
import type { RunLogPage, RunLogQuery } from './run-log.schemas';
import type { AutomationViewCache } from './view-cache';
import { iso } from './view-composition';

export interface ServiceDeps {
  bus: ChangeBus;
  views: AutomationViewCache;
  pauses: PauseRepository;
  runs: RunRepository;
  runLogs: RunLogRepository;
  executor: RunExecutor;
  runRequests: RunRequests;
  audit: AuditLog;
  now: () => number;
}

/**
 * Automations act on every tenant, so a caller restricted to one tenant may look at them but not run, pause or
 * resume them. Enforced here so every transport refuses alike (REST answers 403 FORBIDDEN with this message).
 */
export function assertMayControl(caller: Caller): void {
  if (caller.tenantId !== null) {
    throw new AppError('FORBIDDEN', 'A token restricted to one tenant cannot control automations, which act on every tenant');
  }
}

/**
 * The automations, as every surface sees them: list, get, run now, pause, resume, history. REST and tRPC call
 * these methods and only map their results. Views come from the view cache (see {@link AutomationViewCache});
 * every command that changes what a view shows tells the cache before it answers, so its answer is fresh.
 */
export class AutomationService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Drops every cached input of the views: the next read goes to the database. */
  invalidate(): void {
    this.deps.views.invalidate();
  }

  /**
   * Every automation's view, as `caller` may see it: a tenant-restricted caller gets `pausedBy` reduced to the
   * actor's kind and `pauseReason` null.
   */
  list(caller: Caller): Promise<AutomationView[]> {
    return this.deps.views.list(tenantAccessOf(caller));
  }

  /** Throws INVALID_KEY for a malformed key and NOT_FOUND for a well-formed unknown one. Redacted as {@link list}. */
  async get(caller: Caller, key: string): Promise<AutomationView> {
    const definition = this.lookup(key, 'NOT_FOUND');
    return this.deps.views.view(definition.key, tenantAccessOf(caller));
  }

  /** Refuses a tenant-restricted caller (FORBIDDEN) before looking at the key, as the client API always has. */
  async run(caller: Caller, key: string): Promise<RunNowResult> {
    assertMayControl(caller);
    const definition = this.lookup(key, 'INVALID_KEY');
    if (!definition.supportsTrigger) {
      throw new AppError('UNSUPPORTED_ACTION', `Automation ${definition.key} cannot be triggered`);
    }
    const result = await this.deps.executor.execute(definition, { trigger: caller.trigger, actor: caller.label, slot: null });
    if (definition.scope === 'instance' && result.outcome !== 'claimed-elsewhere') await this.deps.runRequests.askOthers(definition, caller.label);
    // The run's own events already dropped this automation's run summary; dropping it here too keeps the answer
    // fresh even if a bus implementation delivered them late. Only this automation's history is read again.
    this.deps.views.runsChanged(definition.key);
    // The audit entry and the fresh view do not depend on each other: written and read together (one round trip
    // less on PostgreSQL, whose pool runs them side by side); the answer waits for both.
    switch (result.outcome) {
      case 'finished': {
        const [automation] = await Promise.all([
          this.deps.views.view(definition.key),
          this.deps.audit.record({
            actor: caller.label,
            action: 'automation.run',
            target: definition.key,
            outcome: result.run.outcome,
            detail: { runId: result.run.id, durationMs: result.run.durationMs, error: result.run.error },
          }),
        ]);
        return { outcome: 'finished', run: toRunView(result.run), automation };
      }
      // A manual run has no slot, so `claimed-elsewhere` cannot happen here; were it to, another run has the work,
      // which the client API calls already running.
      case 'already-running':
      case 'claimed-elsewhere': {
        const [automation] = await Promise.all([
          this.deps.views.view(definition.key),
          this.deps.audit.record({ actor: caller.label, action: 'automation.run', target: definition.key, outcome: 'already-running' }),
        ]);
        return { outcome: 'already-running', runningOn: automation.runningOn, automation };
      }
      default:
        return assertNever(result);
    }
  }

  /** Idempotent. In-flight runs are not interrupted; scheduled ticks are skipped on every instance. */
  async pause(caller: Caller, key: string, input: PauseInput = {}): Promise<AutomationView> {
    assertMayControl(caller);
    const definition = this.lookup(key, 'INVALID_KEY');
    if (!definition.supportsPause) {
      throw new AppError('UNSUPPORTED_ACTION', `Automation ${definition.key} does not support pause/resume`);
    }
    const now = this.deps.now();
    const until = input.until ? Date.parse(input.until) : null;
    if (until !== null && until <= now) {
      throw new AppError('INVALID_INPUT', 'until must be in the future', { issues: [{ path: 'until', message: 'must be in the future' }] });
    }
    await this.deps.pauses.pause(definition.key, caller.label, now, input.reason || null, until);
    await this.deps.audit.record({
      actor: caller.label,
      action: 'automation.pause',
      target: definition.key,
      outcome: 'paused',
      detail: input.reason || until ? { reason: input.reason ?? null, until: input.until ?? null } : undefined,
    });
    await this.deps.bus.publish({ type: 'automation', key: definition.key, reason: 'paused' });
    this.deps.views.pauseChanged(definition.key);
    return this.deps.views.view(definition.key);
  }

  /** Idempotent: resuming an automation that is not paused changes nothing. */
  async resume(caller: Caller, key: string): Promise<AutomationView> {
    assertMayControl(caller);
    const definition = this.lookup(key, 'INVALID_KEY');
    if (!definition.supportsPause) {
      throw new AppError('UNSUPPORTED_ACTION', `Automation ${definition.key} does not support pause/resume`);
    }
    await this.deps.pauses.resume(definition.key, caller.label, this.deps.now());
    await this.deps.audit.record({ actor: caller.label, action: 'automation.resume', target: definition.key, outcome: 'active' });
    await this.deps.bus.publish({ type: 'automation', key: definition.key, reason: 'resumed' });
    this.deps.views.pauseChanged(definition.key);
    return this.deps.views.view(definition.key);
  }

  /** Run history, newest first, with a cursor for the next page. A tenant-restricted caller sees actors' kinds only. */
  async runs(caller: Caller, key: string, query: RunsQuery): Promise<{ runs: RunView[]; nextCursor: string | null }> {
    const access = tenantAccessOf(caller);
    const definition = this.lookup(key, 'NOT_FOUND');
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const records = await this.deps.runs.history(definition.key, query.limit + 1, before);
    const page = records.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      runs: page.map((r) => ({ ...toRunView(r), actor: actorFor(access, r.actor) })),
      nextCursor: records.length > query.limit && last ? encodeCursor(last) : null,
    };
  }

  /**
   * One run, its latest progress and a page of its log (oldest first, after `query.after`). NOT_FOUND when the run
   * is unknown or belongs to another automation. A tenant-restricted caller sees the actor's kind only, and only
   * the lines about no tenant or about its own (a line about another tenant is left out, not masked).
   */
  async runLog(caller: Caller, key: string, runId: string, query: RunLogQuery): Promise<RunLogPage> {
    const access = tenantAccessOf(caller);
    const definition = this.lookup(key, 'NOT_FOUND');
    const notFound = () => new AppError('NOT_FOUND', `Run not found: ${runId}`);
    if (!/^[0-9a-f-]{36}$/.test(runId)) throw notFound();
    const record = await this.deps.runs.byId(runId);
    if (!record || record.key !== definition.key) throw notFound();
    // The state after the lines, so the counts and progress are at least as new as the page.
    const lines = await this.deps.runLogs.page(runId, query.after, query.limit, access.restrictedTo);
    const state = await this.deps.runLogs.state(runId);
    const last = lines[lines.length - 1];
    return {
      run: { ...toRunView(record), actor: actorFor(access, record.actor) },
      progress: state?.progress ? { ...state.progress, at: new Date(state.progress.at).toISOString() } : null,
      lines: lines.map((l) => ({ seq: l.seq, at: new Date(l.at).toISOString(), level: l.level, message: l.message, fields: l.fields })),
      nextAfter: last ? last.seq : query.after,
      complete: record.outcome !== 'running' && lines.length < query.limit,
      logLines: state?.lines ?? 0,
      logDropped: state?.dropped ?? 0,
    };
  }

  async isPaused(key: string): Promise<boolean> {
    return (await this.deps.pauses.get(key, this.deps.now()))?.paused ?? false;
  }

  private lookup(key: string, unknownCode: 'NOT_FOUND' | 'INVALID_KEY'): AutomationDefinition {
    if (!KEY_PATTERN.test(key)) throw new AppError('INVALID_KEY', 'Invalid automation key');
    const definition = findDefinition(key);
    if (!definition) {
      throw unknownCode === 'NOT_FOUND'
        ? new AppError('NOT_FOUND', `Automation not found: ${key}`)
        : new AppError('INVALID_KEY', `Invalid automation key: ${key} is not one of ${AUTOMATIONS.map((d) => d.key).join(', ')}`);
    }
    return definition;
  }
}

export function toRunView(r: RunRecord): RunView {
  return {
    id: r.id,
    key: r.key,
    trigger: r.trigger,
    actor: r.actor,
    instanceId: r.instanceId,
    slot: r.slot,
    fence: r.fence,
    startedAt: new Date(r.startedAt).toISOString(),
    finishedAt: iso(r.finishedAt),
    durationMs: r.durationMs,
    outcome: r.outcome,
    error: r.error,
    metrics: r.metrics,
  };
}

function encodeCursor(r: RunRecord): string {
  return Buffer.from(`${r.startedAt}:${r.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { startedAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const match = /^(\d+):([0-9a-f-]{36})$/.exec(text);
  if (!match) {
    throw new AppError('INVALID_INPUT', 'cursor is not a cursor this API returned', { issues: [{ path: 'cursor', message: 'invalid cursor' }] });
  }
  return { startedAt: Number(match[1]), id: match[2] as string };
}

function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
