import type { AutomationView } from '@/server/automations/automation.schemas';

/**
 * What a card says after one of this operator's actions, and what it was said about. A caption is true only of the
 * card it was written for: `basis` is the card's pause/run signature when it was written, and once a live update
 * changes that signature (someone resumed over REST, a scheduled run started) the caption no longer shows — the
 * badge and the pause details say what is true now. An error caption also goes once the live stream reconnects
 * after it (`epoch`): "Failed to fetch" is about a connection that has since come back.
 */
export interface Feedback {
  tone: 'ok' | 'error' | 'info';
  text: string;
  basis: string;
  epoch: number;
}

/** The fields an action changes and a caption speaks about. */
export function signature(view: AutomationView): string {
  return [view.state === 'paused', view.pausedAt ?? '', view.pausedUntil ?? '', view.lastStartedAt ?? '', view.state === 'running'].join('|');
}

/** The caption still true of `view`, or null. */
export function currentFeedback(feedback: Feedback | undefined, view: AutomationView, epoch: number): Feedback | null {
  if (!feedback) return null;
  if (feedback.basis !== signature(view)) return null;
  if (feedback.tone === 'error' && feedback.epoch < epoch) return null;
  return feedback;
}
