import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Kysely } from 'kysely';
import { type RecordingRunContext, recordingRunContext } from './run-context';
import type { Container } from '../container';
import type { Database } from '../db/schema';
import { alertRoutes } from '../http/alerts.routes';
import type { InferenceSampleTable } from '../db/tables/inference.tables';
import { WEBHOOK_HEADERS, verifyWebhook } from '../alerts/webhook-signature';

/**
 * Test support for the alerts domain, kept out of the domain's folder so that no domain file imports the HTTP
 * adapter: rows inserted directly, a real webhook receiver, a REST caller.
 */

export async function insertTenant(db: Kysely<Database>, name = 'Acme'): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('tenants')
    .values({ id, name, slug: `${name.toLowerCase().replace(/\W+/g, '-')}-${id.slice(0, 8)}`, created_at: Date.now() })
    .execute();
  return id;
}

export async function insertServer(db: Kysely<Database>, tenantId: string, name: string, options: { enabled?: boolean } = {}): Promise<string> {
  const id = randomUUID();
  const now = Date.now();
  await db
    .insertInto('inference_servers')
    .values({
      id,
      tenant_id: tenantId,
      name,
      kind: 'vllm',
      base_url: `http://127.0.0.1:9/${name}`,
      reach: 'platform',
      api_key_enc: null,
      poll_interval_s: 30,
      enabled: options.enabled === false ? 0 : 1,
      status: 'up',
      last_polled_at: null,
      last_latency_ms: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

export type SampleValues = Partial<Omit<InferenceSampleTable, 'id' | 'server_id' | 'tenant_id' | 'at'>>;

/** A sample row with every metric empty but `values`: an "up" sample unless `values` says otherwise. */
export function sampleRow(tenantId: string, serverId: string, at: number, values: SampleValues, id: string = randomUUID()): InferenceSampleTable {
  return {
    id,
    server_id: serverId,
    tenant_id: tenantId,
    at,
    up: 1,
    latency_ms: null,
    requests_running: null,
    requests_waiting: null,
    kv_cache_usage_pct: null,
    prompt_tokens_per_s: null,
    generation_tokens_per_s: null,
    ttft_ms: null,
    models: null,
    counters: null,
    error: null,
    ...values,
  };
}

export async function insertSample(db: Kysely<Database>, tenantId: string, serverId: string, at: number, values: SampleValues): Promise<void> {
  await db
    .insertInto('inference_samples')
    .values(sampleRow(tenantId, serverId, at, values))
    .execute();
}

/** A run context at a chosen time, for calling the evaluation directly (as two racing instances would). */
export function runContext(at: number, signal: AbortSignal = new AbortController().signal): RecordingRunContext {
  return recordingRunContext({ now: () => at, signal });
}

export interface ReceivedRequest {
  body: string;
  headers: http.IncomingHttpHeaders;
  signatureProblem: string | null;
  answered: number | null;
}

/**
 * A webhook receiver on 127.0.0.1 that checks every request's signature with `secret` and answers with the
 * status `respond(n)` returns for the n-th request (1-based), or never answers when it returns 'hang'.
 */
export async function webhookReceiver(secret: string | null, respond: (n: number) => number | 'hang' = () => 200) {
  const received: ReceivedRequest[] = [];
  const closedUnanswered: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = respond(received.length + 1);
      const entry: ReceivedRequest = {
        body,
        headers: req.headers,
        signatureProblem:
          secret === null
            ? null
            : verifyWebhook({
                secret,
                body,
                signatureHeader: req.headers[WEBHOOK_HEADERS.signature] as string | undefined,
                timestampHeader: req.headers[WEBHOOK_HEADERS.timestamp] as string | undefined,
                nowSeconds: Math.floor(Date.now() / 1000),
              }),
        answered: answer === 'hang' ? null : answer,
      };
      received.push(entry);
      if (answer === 'hang') {
        res.on('close', () => closedUnanswered.push(String(req.headers[WEBHOOK_HEADERS.idempotencyKey])));
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('receiver has no address');
  return {
    url: `http://127.0.0.1:${address.port}/hook`,
    received,
    /** Idempotency keys of requests the sender gave up on before any answer (cut at its deadline). */
    closedUnanswered,
    /** Requests the receiver accepted (2xx), by idempotency key: what "delivered" means from its side. */
    accepted(): Map<string, ReceivedRequest[]> {
      const byKey = new Map<string, ReceivedRequest[]>();
      for (const r of received) {
        if (r.answered === null || r.answered >= 300) continue;
        const key = String(r.headers[WEBHOOK_HEADERS.idempotencyKey]);
        byKey.set(key, [...(byKey.get(key) ?? []), r]);
      }
      return byKey;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RestResult {
  status: number;
  body: Record<string, unknown>;
}

/** Calls the alert REST handlers the way the App Router's route files do, against a test's container. */
export function alertsRestClient(c: Container, token: string | null) {
  const routes = alertRoutes(async () => c);
  type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;
  const table: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/api\/client\/v1\/alert-rules$/, routes.listRules],
    ['POST', /^\/api\/client\/v1\/alert-rules$/, routes.createRule],
    ['GET', /^\/api\/client\/v1\/alert-rules\/([^/]+)$/, routes.getRule],
    ['PATCH', /^\/api\/client\/v1\/alert-rules\/([^/]+)$/, routes.updateRule],
    ['DELETE', /^\/api\/client\/v1\/alert-rules\/([^/]+)$/, routes.deleteRule],
    ['GET', /^\/api\/client\/v1\/incidents$/, routes.listIncidents],
    ['GET', /^\/api\/client\/v1\/incidents\/([^/]+)$/, routes.getIncident],
    ['POST', /^\/api\/client\/v1\/incidents\/([^/]+)\/acknowledge$/, routes.acknowledgeIncident],
  ];
  return async function call(method: string, pathAndQuery: string, body?: unknown): Promise<RestResult> {
    const url = new URL(pathAndQuery, 'http://console.test');
    const match = table.find(([m, pattern]) => m === method && pattern.test(url.pathname));
    if (!match) throw new Error(`no route for ${method} ${url.pathname}`);
    const id = match[1].exec(url.pathname)?.[1];
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await match[2](new Request(url, init), {
      params: Promise.resolve<Record<string, string>>(id === undefined ? {} : { id: decodeURIComponent(id) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}
