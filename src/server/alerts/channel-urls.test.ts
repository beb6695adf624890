import { describe, expect, it } from 'vitest';
import { maskSlackUrl, shownChannelUrl } from './channel-urls';

describe('Slack URL masking', () => {
  it('keeps the origin and the shape, never the tokens', () => {
    expect(maskSlackUrl('https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx')).toBe('https://hooks.slack.com/services/T…/B…/****');
    expect(maskSlackUrl('https://chat.example.com/hooks/team/secret-token?x=1')).toBe('https://chat.example.com/h…/t…/****');
    expect(maskSlackUrl('not a url')).toBe('****');
  });

  it('masks Slack channels only; a generic webhook URL is shown as given', () => {
    expect(shownChannelUrl('slack', 'https://hooks.slack.com/services/T1/B2/xyz')).toBe('https://hooks.slack.com/services/T…/B…/****');
    expect(shownChannelUrl('webhook', 'https://hooks.example.com/alerts')).toBe('https://hooks.example.com/alerts');
  });
});
