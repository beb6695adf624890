import 'server-only';
import { z } from 'zod';
import { type AutomationView, automationViewSchema, pauseInputSchema, runViewSchema, runsQuerySchema } from '../automations/automation.schemas';
import { assertMayControl } from '../automations/automation.service';
import type { RouteDoc } from './openapi';
import type { Container } from '../container';
import { withApiToken } from './api-token-gate';
import { optionalJsonBody, parseQuery } from './request-input';
import { conditionalJson, etagOf, json } from './responses';

/**
 * The client API's automation endpoints (spec + DESIGN §5). Each is: authenticate, parse, call the service,
 * shape the answer. `getContainer` is injected so integration tests can run them against their own container.
 */
export function automationRoutes(getContainer: () => Promise<Container>) {
  return {
    // A tenant-restricted token's views name no operator and carry no pause reason (AutomationService.list).
    list: withApiToken(getContainer, 'automations:read', async ({ container, caller, request }) => {
      const { text, etag } = listBody(await container.automations.list(caller));
      return conditionalJson(request, text, etag);
    }),

    // Scripts poll the list, one view and the runs: each answer carries an ETag, and If-None-Match answers 304.
    get: withApiToken(getContainer, 'automations:read', async ({ container, params, caller, request }) =>
      conditionalJson(request, JSON.stringify({ automation: await container.automations.get(caller, params.key ?? '') })),
    ),

    run: withApiToken(getContainer, 'automations:write', async ({ container, params, caller }) => {
      // A tenant-restricted token is refused by the service (automation control acts on every tenant).
      const result = await container.automations.run(caller, params.key ?? '');
      // The spec: a run that threw answers 500 with its message in `error`; the view comes along.
      if (result.outcome === 'finished' && result.run.outcome === 'failed') {
        return json({ error: result.run.error ?? 'Run failed', code: 'RUN_FAILED', automation: result.automation }, 500);
      }
      return { automation: result.automation };
    }),

    pause: withApiToken(getContainer, 'automations:write', async ({ container, params, caller, request }) => {
      // The service's rule, checked once more before the body is read so a restricted token still gets 403, not 400.
      assertMayControl(caller);
      const input = await optionalJsonBody(request, pauseInputSchema);
      return { automation: await container.automations.pause(caller, params.key ?? '', input) };
    }),

    resume: withApiToken(getContainer, 'automations:write', async ({ container, params, caller }) => ({
      automation: await container.automations.resume(caller, params.key ?? ''),
    })),

    runs: withApiToken(getContainer, 'automations:read', async ({ container, params, request, caller }) => {
      const query = parseQuery(request, runsQuerySchema);
      return conditionalJson(request, JSON.stringify(await container.automations.runs(caller, params.key ?? '', query)));
    }),
  };
}

/**
 * The list's JSON, serialized once per composition: the service hands out the same array until the views change,
 * so the hot read path sends cached text instead of serializing four views on every request.
 */
const listBodies = new WeakMap<AutomationView[], { text: string; etag: string }>();

function listBody(views: AutomationView[]): { text: string; etag: string } {
  let body = listBodies.get(views);
  if (body === undefined) {
    const text = JSON.stringify({ automations: views });
    body = { text, etag: etagOf(text) };
    listBodies.set(views, body);
  }
  return body;
}

const KEY = { key: 'An automation key, e.g. alert-evaluation.' };
const automationBody = z.object({ automation: automationViewSchema });

/** The OpenAPI description of the routes above, from the same schemas. */
export const automationRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/automations',
    operationId: 'listAutomations',
    tag: 'automations',
    scope: 'automations:read',
    summary: 'List every automation and its live state',
    conditional: true,
    response: z.object({ automations: z.array(automationViewSchema) }),
  },
  {
    method: 'GET',
    path: '/automations/{key}',
    operationId: 'getAutomation',
    tag: 'automations',
    scope: 'automations:read',
    summary: 'Get one automation',
    conditional: true,
    pathParams: KEY,
    response: automationBody,
    errors: { 400: 'Invalid automation key.', 404: 'Automation not found.' },
  },
  {
    method: 'POST',
    path: '/automations/{key}/run',
    operationId: 'runAutomation',
    tag: 'automations',
    scope: 'automations:write',
    summary: 'Run now and answer when the run has finished',
    description: 'Never starts a second concurrent run: if one is in flight anywhere, answers at once with state running. Allowed while paused.',
    pathParams: KEY,
    response: automationBody,
    errorBodies: { 500: z.object({ automation: automationViewSchema.optional().describe('The updated view (RUN_FAILED).') }) },
    errors: {
      400: 'Invalid or unknown automation key.',
      500: 'The run failed; `error` holds its message and `automation` the updated view.',
      503: 'Lock store unreachable; see Retry-After.',
    },
  },
  {
    method: 'POST',
    path: '/automations/{key}/pause',
    operationId: 'pauseAutomation',
    tag: 'automations',
    scope: 'automations:write',
    summary: 'Pause the schedule (in-flight runs finish)',
    pathParams: KEY,
    body: pauseInputSchema,
    bodyRequired: false,
    response: automationBody,
    errors: { 400: 'Invalid or unknown key, or an invalid body.', 500: 'The automation does not support pause.' },
  },
  {
    method: 'POST',
    path: '/automations/{key}/resume',
    operationId: 'resumeAutomation',
    tag: 'automations',
    scope: 'automations:write',
    summary: 'Resume the schedule',
    pathParams: KEY,
    response: automationBody,
    errors: { 400: 'Invalid or unknown automation key.', 500: 'The automation does not support resume.' },
  },
  {
    method: 'GET',
    path: '/automations/{key}/runs',
    operationId: 'listAutomationRuns',
    tag: 'automations',
    scope: 'automations:read',
    summary: 'Run history, newest first',
    conditional: true,
    pathParams: KEY,
    query: runsQuerySchema,
    response: z.object({ runs: z.array(runViewSchema), nextCursor: z.string().nullable() }),
    errors: { 400: 'Invalid key, limit or cursor.', 404: 'Automation not found.' },
  },
];
