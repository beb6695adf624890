import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricsRoute } from './metrics.routes';
import { restClient } from '../testing/clients';
import { type TestContainer, testContainer } from '../testing/container';
import { routeLabel } from '../observability/metrics';
import { testCaller, testToken } from '../testing/callers';

describe('Prometheus metrics', () => {
  let t: TestContainer;
  beforeEach(async () => {
    t = await testContainer('sqlite-local');
  });
  afterEach(async () => {
    await t.close();
  });

  async function scrape(token: string): Promise<Response> {
    return metricsRoute(async () => t.c)(new Request('http://console.test/metrics', { headers: { authorization: `Bearer ${token}` } }), {
      params: Promise.resolve({}),
    });
  }

  it('counts runs, run durations, skipped ticks, lock acquisitions and API requests; needs metrics:read', async () => {
    const { token } = await t.c.tokens.create(testCaller('test'), { name: 'ops', scopes: ['automations:read', 'automations:write'] });
    const scraper = (await t.c.tokens.create(testCaller('test'), { name: 'prometheus', scopes: ['metrics:read'] })).token;
    const call = restClient(t.c, token);
    await call('POST', '/api/client/v1/automations/alert-evaluation/run');
    await call('GET', '/api/client/v1/automations/nope');
    await t.c.automations.pause(testToken('ops'), 'inference-monitoring-poll');
    const poll = t.c.scheduler;
    const { findDefinition } = await import('../automations/registry');
    const definition = findDefinition('inference-monitoring-poll');
    if (!definition) throw new Error('missing');
    await poll.tick(definition, '*/30 * * * * *', new Date());

    expect((await scrape(token)).status).toBe(403);
    const res = await scrape(scraper);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/console_automation_runs_total\{[^}]*automation="alert-evaluation"[^}]*outcome="succeeded"[^}]*\} 1/);
    expect(text).toMatch(/console_automation_run_duration_seconds_count\{[^}]*automation="alert-evaluation"[^}]*\} 1/);
    expect(text).toMatch(/console_scheduler_skipped_ticks_total\{[^}]*automation="inference-monitoring-poll"[^}]*reason="paused"[^}]*\} 1/);
    expect(text).toMatch(/console_lock_acquire_seconds_count\{[^}]*provider="local"[^}]*result="granted"[^}]*\} 1/);
    expect(text).toMatch(/console_http_requests_total\{[^}]*route="\/automations\/:id\/run"[^}]*method="POST"[^}]*status="200"[^}]*\} 1/);
    expect(text).toMatch(/console_http_requests_total\{[^}]*route="\/automations\/:id"[^}]*status="404"[^}]*\} 1/);
    expect(text).toMatch(/console_browser_live_sessions\{[^}]*\} 0/);
    expect(text).not.toContain(token);
  });

  it('keeps route labels bounded whatever the path', () => {
    expect(routeLabel('/api/client/v1/automations')).toBe('/automations');
    expect(routeLabel('/api/client/v1/automations/alert-evaluation/run')).toBe('/automations/:id/run');
    expect(routeLabel('/api/client/v1/browser/sessions/abc/screenshot')).toBe('/browser/sessions/:id/screenshot');
    expect(routeLabel('/api/client/v1/automations/%2e%2e/%00/run/x')).toBe('/automations/:id/:id/:id/:id');
    expect(routeLabel(`/api/client/v1/${'A'.repeat(300)}`)).toBe('/:x');
  });
});
