import 'server-only';
import type { ChangeBus } from '../coordination/change-bus';

/**
 * Tells every instance (and every open console, and the reaper's view with its live session count) that this
 * instance's sessions or runtime changed: one change
 * event per burst of changes (several status changes in one tick publish once). Publishing never throws; a lost
 * event is made good by the next change or the view's own refresh.
 */
export class SessionChanges {
  private queued = false;

  constructor(private readonly bus: ChangeBus) {}

  notify(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.bus.publish({ type: 'browser-sessions' }).catch(() => undefined);
    });
  }
}
