import 'server-only';
import type { ChannelType } from '../../shared/alert-metrics';

/**
 * A Slack-compatible URL is the credential itself (anyone who has it can post to the channel), so it is shown
 * only in the request that set it. Views, delivery records and logs carry this mask instead: the origin, the
 * first character of each path segment but the last, and `****` for the last, e.g.
 * `https://hooks.slack.com/services/T…/B…/****`. The mask is stable, so a client that sends a view's channels
 * back unchanged keeps the channel (see RuleChannels.replace).
 */
export function maskSlackUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '****';
  }
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  const masked = segments.map((s, i) => (i === segments.length - 1 ? '****' : i === 0 && s === 'services' ? s : `${s.slice(0, 1)}…`));
  return `${parsed.origin}/${masked.join('/')}`;
}

/** The URL of a channel as views and logs show it: Slack URLs masked, webhook URLs as given. */
export function shownChannelUrl(type: ChannelType, url: string): string {
  return type === 'slack' ? maskSlackUrl(url) : url;
}
