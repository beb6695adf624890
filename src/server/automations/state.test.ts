import { describe, expect, it } from 'vitest';
import { type OverdueInput, type StateInput, deriveState, isOverdue } from './state';

/** A scheduled automation with nothing wrong: the baseline every case changes one or two facts of. */
const healthy: StateInput = {
  running: false,
  paused: false,
  lastRunFailed: false,
  dependencyDown: false,
  overdue: false,
  scheduled: true,
};

describe('deriveState', () => {
  it('is active when scheduled and nothing is wrong', () => {
    expect(deriveState(healthy)).toBe('active');
  });

  it('is idle when not scheduled', () => {
    expect(deriveState({ ...healthy, scheduled: false })).toBe('idle');
  });

  it('is running while a run is in flight', () => {
    expect(deriveState({ ...healthy, running: true })).toBe('running');
  });

  it('is paused while the pause is in force', () => {
    expect(deriveState({ ...healthy, paused: true })).toBe('paused');
  });

  it.each(['lastRunFailed', 'dependencyDown', 'overdue'] as const)('is degraded by %s alone', (cause) => {
    expect(deriveState({ ...healthy, [cause]: true })).toBe('degraded');
  });

  describe('precedence', () => {
    it('running beats paused', () => {
      expect(deriveState({ ...healthy, running: true, paused: true })).toBe('running');
    });

    it('paused beats degraded', () => {
      expect(deriveState({ ...healthy, paused: true, lastRunFailed: true, dependencyDown: true, overdue: true })).toBe('paused');
    });

    it('degraded beats idle', () => {
      expect(deriveState({ ...healthy, scheduled: false, dependencyDown: true })).toBe('degraded');
    });
  });
});

describe('isOverdue', () => {
  const slot = Date.UTC(2024, 0, 1, 12, 0, 0);
  /** A slot with no run although a scheduler has run since long before it and nothing was paused. */
  const missed: OverdueInput = {
    now: slot + 45_000,
    expectedSlot: slot,
    lastScheduledStart: null,
    schedulingSince: slot - 3_600_000,
    resumedAt: null,
  };

  it('is true when no scheduled run ever started', () => {
    expect(isOverdue(missed)).toBe(true);
  });

  it('is true when the last scheduled start is older than the slot', () => {
    expect(isOverdue({ ...missed, lastScheduledStart: slot - 30_000 })).toBe(true);
  });

  it('is false when no scheduler runs', () => {
    expect(isOverdue({ ...missed, schedulingSince: null })).toBe(false);
  });

  it('is false when the slot fell before the scheduler started, true from the scheduler’s start on', () => {
    expect(isOverdue({ ...missed, schedulingSince: slot + 1 })).toBe(false);
    expect(isOverdue({ ...missed, schedulingSince: slot })).toBe(true);
  });

  it('is false when the slot fell inside a pause that ended later, true for a pause that ended before it', () => {
    expect(isOverdue({ ...missed, resumedAt: slot + 1 })).toBe(false);
    expect(isOverdue({ ...missed, resumedAt: slot - 1 })).toBe(true);
  });

  it('is false when the last scheduled start is at or after the slot', () => {
    expect(isOverdue({ ...missed, lastScheduledStart: slot })).toBe(false);
    expect(isOverdue({ ...missed, lastScheduledStart: slot + 2_000 })).toBe(false);
  });

  it('counts a start shortly before the slot for it (clock skew between instances)', () => {
    expect(isOverdue({ ...missed, lastScheduledStart: slot - 500 })).toBe(false);
  });
});
