import { pauseInputSchema, runsQuerySchema } from '../automations/automation.schemas';
import type { Container } from '../container';
import { optionalJsonBody, parseQuery, restHandler } from './rest-handler';
import { json } from './responses';

/**
 * The client API's automation endpoints (spec + DESIGN §5). Each is: authenticate, parse, call the service,
 * shape the answer. `getContainer` is injected so integration tests can run them against their own container.
 */
export function automationRoutes(getContainer: () => Promise<Container>) {
  return {
    list: restHandler(getContainer, 'automations:read', async ({ c }) => ({ automations: await c.automations.list() })),

    get: restHandler(getContainer, 'automations:read', async ({ c, params }) => ({
      automation: await c.automations.get(params.key ?? ''),
    })),

    run: restHandler(getContainer, 'automations:write', async ({ c, params, actor }) => {
      const result = await c.automations.run(params.key ?? '', { label: actor, trigger: 'api' });
      // The spec: a run that threw answers 500 with its message in `error`; the view comes along.
      if (result.outcome === 'finished' && result.run.outcome === 'failed') {
        return json({ error: result.run.error ?? 'Run failed', code: 'RUN_FAILED', automation: result.automation }, 500);
      }
      return { automation: result.automation };
    }),

    pause: restHandler(getContainer, 'automations:write', async ({ c, params, actor, request }) => {
      const input = await optionalJsonBody(request, pauseInputSchema);
      return { automation: await c.automations.pause(params.key ?? '', { label: actor, trigger: 'api' }, input) };
    }),

    resume: restHandler(getContainer, 'automations:write', async ({ c, params, actor }) => ({
      automation: await c.automations.resume(params.key ?? '', { label: actor, trigger: 'api' }),
    })),

    runs: restHandler(getContainer, 'automations:read', async ({ c, params, request }) => {
      const query = parseQuery(request, runsQuerySchema);
      return c.automations.runs(params.key ?? '', query);
    }),
  };
}
