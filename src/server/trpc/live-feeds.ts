import 'server-only';
import type { AutomationView } from '../automations/automation.schemas';
import { systemCaller } from '../auth/caller';
import type { ListSessionsQuery, SessionView } from '../browser/browser.schemas';
import type { Container } from '../container';
import { LiveTopic, type LiveTopicOptions } from './live-topic';

/** How often a topic re-reads with nothing changed (countdowns, overdue detection); only what changed is sent. */
export const LIVE_REFRESH_MS = 15_000;
/** Change events within this window after the first are answered by one read (a scheduled run's start and end). */
export const LIVE_COALESCE_MS = 20;
/** Events a topic keeps for Last-Event-ID resumes. */
export const LIVE_KEEP_EVENTS = 256;
/** A topic no stream follows any more lives on this long, so a client reconnecting in that time can resume. */
export const LIVE_RESUME_WINDOW_MS = 5 * 60_000;
/** At most this many topics wait with no stream (distinct browser filters); more are closed at once. */
const MAX_IDLE_TOPICS = 32;

interface Held {
  topic: LiveTopic<unknown>;
  users: number;
  expiry: NodeJS.Timeout | null;
}

/** The topics of one instance by key, created on first use and closed a while after their last stream left. */
class LiveTopics {
  private readonly held = new Map<string, Held>();

  acquire<T>(key: string, make: () => LiveTopicOptions<T>): { topic: LiveTopic<T>; release: () => void } {
    let held = this.held.get(key);
    if (!held) {
      held = { topic: new LiveTopic(make()) as LiveTopic<unknown>, users: 0, expiry: null };
      this.held.set(key, held);
    }
    const h = held;
    h.users++;
    if (h.expiry) clearTimeout(h.expiry);
    h.expiry = null;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      h.users--;
      if (h.users > 0) return;
      const idle = [...this.held.values()].filter((x) => x.users === 0).length;
      if (idle > MAX_IDLE_TOPICS) return this.drop(key, h);
      h.expiry = setTimeout(() => this.drop(key, h), LIVE_RESUME_WINDOW_MS);
      h.expiry.unref();
    };
    return { topic: h.topic as LiveTopic<T>, release };
  }

  private drop(key: string, h: Held): void {
    if (h.users > 0 || this.held.get(key) !== h) return;
    this.held.delete(key);
    h.topic.close();
  }
}

const registries = new WeakMap<Container, LiveTopics>();

function topicsOf(container: Container): LiveTopics {
  let topics = registries.get(container);
  if (!topics) {
    topics = new LiveTopics();
    registries.set(container, topics);
  }
  return topics;
}

function base(container: Container) {
  return {
    bus: container.bus,
    refreshMs: LIVE_REFRESH_MS,
    coalesceMs: LIVE_COALESCE_MS,
    keep: LIVE_KEEP_EVENTS,
    onError: (message: string) => container.logger.warn({ error: message }, 'live list not read; streams keep the last state'),
  };
}

/** Every automation's view, as operators see it (one list for all of them: operators are not tenant-restricted). */
export function automationsTopic(container: Container): { topic: LiveTopic<AutomationView>; release: () => void } {
  return topicsOf(container).acquire<AutomationView>('automations', () => ({
    ...base(container),
    matters: (event) => event.type === 'automation' || event.type === 'browser-sessions' || event.type === 'instances',
    read: () => container.automations.list(systemCaller('live-view', 'console')),
    idOf: (view) => view.key,
  }));
}

/** The browser sessions matching one filter (one topic per distinct filter). */
export function browserTopic(container: Container, input: ListSessionsQuery): { topic: LiveTopic<SessionView>; release: () => void } {
  const key = `browser:${JSON.stringify([input.tenantId ?? null, input.status ?? null, input.limit])}`;
  return topicsOf(container).acquire<SessionView>(key, () => ({
    ...base(container),
    matters: (event) => event.type === 'browser-sessions' || event.type === 'instances',
    read: () => container.browser.sessions.list(systemCaller('live-view', 'console'), input),
    idOf: (session) => session.id,
  }));
}
