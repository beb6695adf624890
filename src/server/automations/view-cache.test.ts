import { beforeEach, describe, expect, it } from 'vitest';
import { type AutomationChange, type ChangeEvent, LocalChangeBus } from '../coordination/change-bus';
import type { InstanceView } from '../coordination/instance-registry';
import { type AutomationDefinition, type DomainPorts, defineAutomation } from './definition';
import type { PauseRecord } from './pause.repository';
import type { RunSummary } from './run.repository';
import { AutomationViewCache, INPUTS_TTL_MS, VIEW_TTL_MS } from './view-cache';

/** Four automations of no domain in particular; `sessions` declares that browser session changes move its metrics. */
function definition(key: string, extra: Partial<AutomationDefinition> = {}): AutomationDefinition {
  return defineAutomation({
    key,
    name: key,
    description: key,
    domain: 'alerts',
    defaultSchedule: null,
    supportsPause: true,
    supportsTrigger: true,
    scope: 'cluster',
    metricKeys: ['count'],
    run: async () => ({ count: 0 }),
    ...extra,
  });
}
const DEFINITIONS = [
  definition('one'),
  definition('two'),
  definition('three'),
  definition('sessions', { liveMetricsChangeOn: ['browser-sessions'], liveMetrics: async () => ({ count: liveSessions }) }),
];
let liveSessions = 0;

const EMPTY_SUMMARY: RunSummary = { running: [], latest: null, lastFinished: null, lastWithMetrics: null, consecutiveFailures: 0, lastScheduledStart: null };

/** The reads the cache makes, in memory and counted; what they answer can be changed between reads. */
class Store {
  reads = { pauses: 0, instances: 0, summaries: new Map<string, number>() };
  pauses = new Map<string, PauseRecord>();
  private gate: Promise<void> | null = null;

  /** Holds every pause read until the returned function is called. */
  holdPauseReads(): () => void {
    let open = () => undefined as void;
    this.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    return () => {
      this.gate = null;
      open();
    };
  }

  readonly pauseReads = {
    all: async () => {
      this.reads.pauses++;
      const snapshot = new Map(this.pauses);
      await this.gate;
      return snapshot;
    },
  };
  readonly runReads = {
    summary: async (key: string) => {
      this.reads.summaries.set(key, (this.reads.summaries.get(key) ?? 0) + 1);
      return EMPTY_SUMMARY;
    },
  };
  readonly instanceReads = {
    live: async (): Promise<InstanceView[]> => {
      this.reads.instances++;
      return [];
    },
    lapsedSchedulers: async () => [],
  };

  /** What was read since the last call: which summaries, and whether pauses and instances. */
  take(): { summaries: string[]; pauses: boolean; instances: boolean } {
    const taken = { summaries: [...this.reads.summaries.keys()].sort(), pauses: this.reads.pauses > 0, instances: this.reads.instances > 0 };
    this.reads = { pauses: 0, instances: 0, summaries: new Map() };
    return taken;
  }
}

function paused(key: string): PauseRecord {
  return { key, paused: true, pausedAt: 1_000, pausedBy: 'token:ops', reason: 'maintenance', until: null, resumedAt: null, resumedBy: null };
}

const ALL = ['one', 'sessions', 'three', 'two'];

/**
 * What each event makes the next read load again. Keyed by every event type, and for automation events by every
 * reason, so a new kind of event cannot be added without saying what it invalidates.
 */
const BY_REASON: Record<AutomationChange['reason'], { event: ChangeEvent; summaries: string[]; pauses: boolean }> = {
  'run-started': { event: { type: 'automation', key: 'one', reason: 'run-started' }, summaries: ['one'], pauses: false },
  'run-finished': { event: { type: 'automation', key: 'one', reason: 'run-finished' }, summaries: ['one'], pauses: false },
  'run-abandoned': { event: { type: 'automation', key: 'two', reason: 'run-abandoned' }, summaries: ['two'], pauses: false },
  paused: { event: { type: 'automation', key: 'one', reason: 'paused' }, summaries: ['one'], pauses: true },
  resumed: { event: { type: 'automation', key: 'three', reason: 'resumed' }, summaries: ['three'], pauses: true },
  'lock-store-health': { event: { type: 'automation', key: '*', reason: 'lock-store-health' }, summaries: ALL, pauses: true },
  'browser-sessions': { event: { type: 'automation', key: 'sessions', reason: 'browser-sessions' }, summaries: ['sessions'], pauses: false },
};
const NONE = { summaries: [], pauses: false, instances: false };
const BY_TYPE: Record<Exclude<ChangeEvent['type'], 'automation'>, { event: ChangeEvent; reads: ReturnType<Store['take']> }> = {
  'browser-sessions': { event: { type: 'browser-sessions' }, reads: { summaries: ['sessions'], pauses: false, instances: false } },
  instances: { event: { type: 'instances' }, reads: { summaries: [], pauses: false, instances: true } },
  tokens: { event: { type: 'tokens' }, reads: NONE },
  operators: { event: { type: 'operators' }, reads: NONE },
  sessions: { event: { type: 'sessions', operatorId: 'op-1' }, reads: NONE },
  'run-request': { event: { type: 'run-request', key: 'one', requestId: 'r', actor: 'token:ops' }, reads: NONE },
  'run-reply': { event: { type: 'run-reply', key: 'one', requestId: 'r', ok: true, error: null }, reads: NONE },
  'browser-action': { event: { type: 'browser-action', requestId: 'r', target: 'b', action: 'close', args: [] }, reads: NONE },
  'browser-action-reply': { event: { type: 'browser-action-reply', requestId: 'r', phase: 'accepted' }, reads: NONE },
};

describe('AutomationViewCache', () => {
  let clock: number;
  let store: Store;
  let bus: LocalChangeBus;
  let cache: AutomationViewCache;

  beforeEach(async () => {
    clock = 1_700_000_000_000;
    liveSessions = 0;
    store = new Store();
    bus = new LocalChangeBus('instance-a');
    cache = new AutomationViewCache({
      definitions: DEFINITIONS,
      bus,
      instances: store.instanceReads,
      pauses: store.pauseReads,
      runs: store.runReads,
      // The test definitions act on no domain.
      ports: {} as DomainPorts,
      lockKind: 'local',
      lockProblem: () => null,
      schedules: {},
      instanceId: 'instance-a',
      now: () => clock,
    });
    await cache.list();
    expect(store.take()).toEqual({ summaries: ALL, pauses: true, instances: true });
  });

  it('answers from memory while nothing changed, and reads again only what outlived its TTL', async () => {
    await cache.list();
    await cache.view('one');
    clock += VIEW_TTL_MS;
    await cache.view('two');
    expect(store.take()).toEqual(NONE);
    clock += INPUTS_TTL_MS;
    await cache.view('two');
    expect(store.take()).toEqual({ summaries: ALL, pauses: true, instances: true });
  });

  it.each(Object.entries(BY_REASON))('an automation event (%s) reads again only what it concerns', async (_reason, expected) => {
    await bus.publish(expected.event);
    await cache.view('one');
    expect(store.take()).toEqual({ summaries: expected.summaries, pauses: expected.pauses, instances: false });
  });

  it.each(Object.entries(BY_TYPE))('a %s event reads again only what it concerns', async (_type, expected) => {
    await bus.publish(expected.event);
    await cache.view('one');
    expect(store.take()).toEqual(expected.reads);
  });

  it('answers one view after a change of one automation without reading the other three', async () => {
    await bus.publish({ type: 'automation', key: 'two', reason: 'run-finished' });
    await cache.view('two');
    expect(store.take().summaries).toEqual(['two']);
  });

  it('shows a change at the first read after its event, also when the change came from this instance', async () => {
    store.pauses.set('one', paused('one'));
    expect((await cache.view('one')).state).not.toBe('paused');
    await bus.publish({ type: 'automation', key: 'one', reason: 'paused' });
    expect(await cache.view('one')).toMatchObject({ state: 'paused', pausedBy: 'token:ops', pauseReason: 'maintenance' });

    store.pauses.delete('one');
    cache.pauseChanged('one');
    expect((await cache.view('one')).state).not.toBe('paused');

    liveSessions = 3;
    await bus.publish({ type: 'browser-sessions' });
    expect((await cache.view('sessions')).metrics).toEqual({ count: 3 });
  });

  it('does not keep what a read in flight across an invalidation returns', async () => {
    const open = store.holdPauseReads();
    store.pauses.set('one', paused('one'));
    cache.pauseChanged('one');
    const before = cache.view('one');
    // The pause ends while the read that saw it is still in flight.
    store.pauses.delete('one');
    await bus.publish({ type: 'automation', key: 'one', reason: 'resumed' });
    open();
    expect((await before).state).toBe('paused');
    expect((await cache.view('one')).state).not.toBe('paused');
  });

  it('redacts pause notes for a tenant-restricted caller, from the same composition', async () => {
    store.pauses.set('one', paused('one'));
    cache.pauseChanged('one');
    const restricted = { restrictedTo: 'tenant-1' };
    expect(await cache.view('one', restricted)).toMatchObject({ state: 'paused', pausedBy: 'token', pauseReason: null });
    expect(await cache.list(restricted)).toBe(await cache.list(restricted));
  });
});
