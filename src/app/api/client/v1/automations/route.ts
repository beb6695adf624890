import { automationsApi } from '@/server/http/automations-api';
import { answerOptions, refuseMethod } from '@/server/http/client-api-guard';

export const dynamic = 'force-dynamic';
export const GET = automationsApi.list;
// The proxy skips this path (src/proxy.ts), so this route answers the other methods as the proxy would: 405 JSON
// with Allow, and OPTIONS with only the documented methods. Refusals, not endpoints: not in the OpenAPI document.
export const { POST, PUT, PATCH, DELETE, OPTIONS } = {
  POST: refuseMethod,
  PUT: refuseMethod,
  PATCH: refuseMethod,
  DELETE: refuseMethod,
  OPTIONS: answerOptions,
};
