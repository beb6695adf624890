// A script against a client generated from the console's OpenAPI document (docs/api.md#a-typed-client):
//   npx openapi-typescript https://console.example.com/api/client/v1/openapi.json -o console-api.d.ts
// src/server/http/openapi-tools.test.ts generates the types from the served document and type-checks this file.
import createClient from 'openapi-fetch';
import type { paths } from './console-api';

type Operation<P extends keyof paths, M extends keyof paths[P]> = paths[P][M];
type AutomationView = Operation<'/automations/{key}', 'get'>['responses'][200]['content']['application/json']['automation'];
type RunFailed = Operation<'/automations/{key}/run', 'post'>['responses'][500]['content']['application/json'];

export function consoleClient(baseUrl: string, token: string) {
  return createClient<paths>({ baseUrl: `${baseUrl}/api/client/v1`, headers: { authorization: `Bearer ${token}` } });
}
type Client = ReturnType<typeof consoleClient>;

/** Runs an automation now; a failed run (500 RUN_FAILED) still hands back the updated view. */
export async function runNow(client: Client, key: string): Promise<AutomationView> {
  const result = await client.POST('/automations/{key}/run', { params: { path: { key } } });
  if (result.data) return result.data.automation;
  if (result.response.status === 500 && result.error.code === 'RUN_FAILED') {
    const failed: RunFailed = result.error;
    if (failed.automation) return failed.automation;
  }
  throw new Error(`${result.response.status} ${result.error.code}: ${result.error.error}`);
}

/** Polls the list with If-None-Match: an unchanged list answers 304 and costs no body. */
export async function pollStates(client: Client, etag: string | null): Promise<{ etag: string | null; states: string[] | null }> {
  const { data, response } = await client.GET('/automations', { params: { header: etag ? { 'If-None-Match': etag } : {} } });
  if (response.status === 304 || !data) return { etag, states: null };
  return { etag: response.headers.get('etag'), states: data.automations.map((a) => `${a.key}: ${a.state}`) };
}

/** Opens a browser session; Location names the new session. */
export async function openSession(client: Client, tenantId: string, url: string): Promise<string | null> {
  const { data, error, response } = await client.POST('/browser/sessions', { body: { tenantId, url } });
  if (error) throw new Error(`${error.code}: ${error.error}`);
  return data.session.status === 'error' ? null : response.headers.get('location');
}
