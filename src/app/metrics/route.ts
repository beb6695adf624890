import { getContainer } from '@/server/container';
import { answerOtherOptions, refuseOtherMethod } from '@/server/http/http-edge';
import { metricsRoute } from '@/server/http/metrics.routes';

export const dynamic = 'force-dynamic';
export const GET = metricsRoute(getContainer);
// The framework's own 405 has no Allow and no body: the other methods get the console's JSON 405 (http-edge.ts).
export const { POST, PUT, PATCH, DELETE, OPTIONS } = {
  POST: refuseOtherMethod,
  PUT: refuseOtherMethod,
  PATCH: refuseOtherMethod,
  DELETE: refuseOtherMethod,
  OPTIONS: answerOtherOptions,
};
