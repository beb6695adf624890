import { describe, expect, it } from 'vitest';
import type { AutomationView } from '@/server/automations/automation.schemas';
import { currentFeedback, signature } from './feedback';

const base = {
  key: 'alert-evaluation',
  state: 'active',
  pausedAt: null,
  pausedUntil: null,
  lastStartedAt: '2026-01-01T00:00:00.000Z',
} as unknown as AutomationView;
const paused = { ...base, state: 'paused', pausedAt: '2026-01-01T00:01:00.000Z' } as AutomationView;

describe('captions follow the card they were written for', () => {
  it('shows a caption while the card is as it was when the caption was written', () => {
    const f = { tone: 'ok' as const, text: 'You paused this', basis: signature(paused), epoch: 1 };
    expect(currentFeedback(f, paused, 1)).toBe(f);
  });

  it('drops "paused" once a live update shows the card resumed, and "resumed" once it shows it paused again', () => {
    expect(currentFeedback({ tone: 'ok', text: 'You paused this', basis: signature(paused), epoch: 1 }, base, 1)).toBeNull();
    expect(currentFeedback({ tone: 'ok', text: 'Resumed', basis: signature(base), epoch: 1 }, paused, 1)).toBeNull();
  });

  it('drops a run caption when the next run starts', () => {
    const f = { tone: 'ok' as const, text: 'Run finished', basis: signature(base), epoch: 1 };
    expect(currentFeedback(f, { ...base, lastStartedAt: '2026-01-01T00:00:30.000Z' }, 1)).toBeNull();
  });

  it('drops an error once the live stream has reconnected after it, keeps other captions', () => {
    expect(currentFeedback({ tone: 'error', text: 'Run not started: Failed to fetch', basis: signature(base), epoch: 1 }, base, 2)).toBeNull();
    expect(currentFeedback({ tone: 'ok', text: 'Run finished', basis: signature(base), epoch: 1 }, base, 2)).not.toBeNull();
  });
});
