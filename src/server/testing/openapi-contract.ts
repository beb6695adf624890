import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Container } from '../container';
import { alertRoutes } from '../http/alerts.routes';
import { automationRoutes } from '../http/automations.routes';
import { browserRoutes } from '../http/browser.routes';
import { CLIENT_API_ROUTES } from '../http/client-api-docs';
import { inferenceRoutes } from '../http/inference.routes';
import { tenantRoutes } from '../http/tenants.routes';

type Json = Record<string, unknown>;
type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** What a real answer was, for the contract test's assertions. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Json;
}

/** Every operation's handler by operationId, bound to a test's container: what the route files export. */
function handlers(c: Container): Record<string, Handler> {
  const get = async () => c;
  const a = automationRoutes(get);
  const t = tenantRoutes(get);
  const i = inferenceRoutes(get);
  const r = alertRoutes(get);
  const b = browserRoutes(get);
  return {
    listAutomations: a.list,
    getAutomation: a.get,
    runAutomation: a.run,
    pauseAutomation: a.pause,
    resumeAutomation: a.resume,
    listAutomationRuns: a.runs,
    listTenants: t.list,
    createTenant: t.create,
    getTenant: t.get,
    updateTenant: t.update,
    deleteTenant: t.delete,
    listInferenceServers: i.list,
    createInferenceServer: i.create,
    getInferenceServer: i.get,
    updateInferenceServer: i.update,
    deleteInferenceServer: i.delete,
    listInferenceServerSamples: i.samples,
    listAlertRules: r.listRules,
    createAlertRule: r.createRule,
    getAlertRule: r.getRule,
    updateAlertRule: r.updateRule,
    deleteAlertRule: r.deleteRule,
    rotateChannelSecret: r.rotateChannelSecret,
    listIncidents: r.listIncidents,
    getIncident: r.getIncident,
    acknowledgeIncident: r.acknowledgeIncident,
    listBrowserSessions: b.list,
    createBrowserSession: b.create,
    getBrowserSession: b.get,
    closeBrowserSession: b.close,
    navigateBrowserSession: b.navigate,
    getBrowserSessionScreenshot: b.screenshot,
  };
}

const TEMPLATES = CLIENT_API_ROUTES.map((route) => ({
  route,
  names: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''),
  pattern: new RegExp(`^/api/client/v1${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
}));

/** The operation a request reaches, as the App Router's route files would pick it. */
export function operationOf(method: string, pathname: string): { operationId: string; path: string; params: Record<string, string> } | null {
  for (const t of TEMPLATES) {
    const m = t.route.method === method ? t.pattern.exec(pathname) : null;
    if (m)
      return {
        operationId: t.route.operationId,
        path: t.route.path,
        params: Object.fromEntries(t.names.map((n, k) => [n, decodeURIComponent(m[k + 1] ?? '')])),
      };
  }
  return null;
}

/** Calls the handlers exactly as Next.js does: a Request in, a Response out. */
export function contractClient(c: Container) {
  const table = handlers(c);
  return async (method: string, pathAndQuery: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) => {
    const url = new URL(pathAndQuery, 'http://console.test');
    const op = operationOf(method, url.pathname);
    const handler = op && table[op.operationId];
    if (!op || !handler) throw new Error(`no operation for ${method} ${url.pathname}`);
    const headers: Record<string, string> = {
      'x-console-peer': '127.0.0.1',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    };
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const response = await handler(new Request(url, { method, headers, body }), { params: Promise.resolve(op.params) });
    return { op, answer: await answerOf(response) };
  };
}

export async function answerOf(response: Response): Promise<Answer> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const json = response.headers.get('content-type')?.startsWith('application/json') ?? false;
  const text = json ? bytes.toString('utf8') : '';
  return {
    status: response.status,
    headers: response.headers,
    text: json ? text : bytes.length > 0 ? `<${bytes.length} bytes>` : '',
    body: json && text ? (JSON.parse(text) as Json) : {},
  };
}

/**
 * Checks real answers against an OpenAPI document with ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1):
 * the status must be documented for the operation, the content type one of that response's, the body valid
 * against its schema, and the headers it documents present. Records which (operation, status) pairs it saw.
 */
export function contractChecker(doc: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new WeakMap<object, ValidateFunction>();
  const seen = new Set<string>();
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const components = (doc.components as { responses: Record<string, Json> }).responses;
  const deref = (response: Json): Json => (typeof response.$ref === 'string' ? (components[response.$ref.split('/').pop() ?? ''] ?? {}) : response);

  /** Validates an answer against one response object; returns the problems. */
  function problems(response: Json, answer: Answer): string[] {
    const found: string[] = [];
    const content = response.content as Record<string, { schema?: Json }> | undefined;
    const type = answer.headers.get('content-type')?.split(';')[0]?.trim();
    if (!content) {
      if (answer.text !== '') found.push(`a body where none is documented: ${answer.text.slice(0, 80)}`);
    } else {
      const media = type ? content[type] : undefined;
      if (!media) found.push(`content type ${type} is not one of ${Object.keys(content).join(', ')}`);
      else if (type === 'application/json' && media.schema) {
        let validate = compiled.get(media.schema);
        if (!validate) {
          validate = ajv.compile(media.schema);
          compiled.set(media.schema, validate);
        }
        if (!validate(answer.body)) found.push(`body: ${ajv.errorsText(validate.errors)}`);
      }
    }
    for (const name of Object.keys((response.headers as Json | undefined) ?? {})) {
      if (answer.headers.get(name) === null) found.push(`no ${name} header`);
    }
    return found;
  }

  return {
    seen,
    /** Checks an answer of operation (method, OpenAPI path); throws naming every problem. */
    check(method: string, path: string, answer: Answer): void {
      const operation = paths[path]?.[method.toLowerCase()] as { operationId: string; responses: Record<string, Json> } | undefined;
      if (!operation) throw new Error(`${method} ${path} is not in the document`);
      const documented = operation.responses[String(answer.status)];
      if (!documented) throw new Error(`${operation.operationId}: status ${answer.status} is undocumented (${answer.text.slice(0, 200)})`);
      const found = problems(deref(documented), answer);
      if (found.length > 0) throw new Error(`${operation.operationId} ${answer.status}: ${found.join('; ')}`);
      seen.add(`${operation.operationId} ${answer.status}`);
    },
    /** Checks an answer given before routing against a response of components.responses. */
    checkComponent(name: string, answer: Answer): void {
      const response = components[name];
      if (!response) throw new Error(`components.responses.${name} is not in the document`);
      const found = problems(response, answer);
      if (found.length > 0) throw new Error(`${name}: ${found.join('; ')}`);
      seen.add(`component ${name}`);
    },
    /** Every (operationId, status) the document promises, `default` aside. */
    promised(): string[] {
      const all: string[] = [];
      for (const item of Object.values(paths)) {
        for (const operation of Object.values(item) as Array<{ operationId: string; responses: Record<string, Json> }>) {
          for (const status of Object.keys(operation.responses)) if (status !== 'default') all.push(`${operation.operationId} ${status}`);
        }
      }
      return all;
    },
  };
}
