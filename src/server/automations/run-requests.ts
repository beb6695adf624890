import 'server-only';
import { randomUUID } from 'node:crypto';
import type { ChangeBus, Envelope } from '../coordination/change-bus';
import type { InstanceRegistry } from '../coordination/instance-registry';
import { errorMessage } from '../errors';
import type { AutomationDefinition } from './definition';
import { findDefinition } from './registry';
import type { RunExecutor } from './run-executor';

/** How long run-now of a per-instance automation waits for the other instances' replies. */
export const FAN_OUT_WAIT_MS = 5_000;

type RunRequest = Extract<Envelope, { type: 'run-request' }>;
type RunReply = Extract<Envelope, { type: 'run-reply' }>;

/**
 * Run-now of a per-instance automation on every live instance (DESIGN §4.4), over the change bus: the instance that
 * was asked runs its own copy, then {@link askOthers} publishes a `run-request` and waits until every other live
 * instance replied or {@link FAN_OUT_WAIT_MS} passed. Replies are heard from construction on; answering the others'
 * requests starts with {@link listen} (the automations module's lifecycle), so a process that runs no background
 * work (the CLI, a test container) does not run automations for others.
 */
export class RunRequests {
  private readonly waiting = new Map<string, (reply: RunReply) => void>();

  constructor(
    private readonly deps: {
      bus: ChangeBus;
      instances: InstanceRegistry;
      executor: RunExecutor;
      instanceId: string;
    },
  ) {
    deps.bus.subscribe((event) => {
      if (event.type === 'run-reply') this.waiting.get(event.requestId)?.(event);
    });
  }

  /** Answers other instances' run requests until the returned function is called. */
  listen(): () => void {
    return this.deps.bus.subscribe((event) => {
      if (event.type === 'run-request') void this.answer(event);
    });
  }

  /** Asks every other live instance to run its copy; resolves when all replied or the wait is over. */
  async askOthers(definition: AutomationDefinition, actor: string): Promise<void> {
    const others = (await this.deps.instances.live()).filter((i) => i.id !== this.deps.instanceId).map((i) => i.id);
    if (others.length === 0) return;
    const requestId = randomUUID();
    const pending = new Set(others);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FAN_OUT_WAIT_MS);
      this.waiting.set(requestId, (reply) => {
        pending.delete(reply.origin);
        if (pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.deps.bus.publish({ type: 'run-request', key: definition.key, requestId, actor });
    });
    this.waiting.delete(requestId);
  }

  /** Runs this instance's copy for another instance's request and replies with how it went. */
  private async answer(event: RunRequest): Promise<void> {
    const definition = findDefinition(event.key);
    if (!definition || event.origin === this.deps.instanceId) return;
    let ok = true;
    let error: string | null = null;
    try {
      const result = await this.deps.executor.execute(definition, { trigger: 'api', actor: event.actor, slot: null });
      if (result.outcome === 'finished' && result.run.outcome === 'failed') {
        ok = false;
        error = result.run.error;
      }
    } catch (e) {
      ok = false;
      error = errorMessage(e);
    }
    await this.deps.bus.publish({ type: 'run-reply', key: event.key, requestId: event.requestId, ok, error });
  }
}
