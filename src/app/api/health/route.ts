import { healthResponse } from '@/server/http/health';
import { answerOtherOptions, refuseOtherMethod } from '@/server/http/http-edge';

export const dynamic = 'force-dynamic';
export const GET = healthResponse;
// The framework's own 405 has no Allow and no body: the other methods get the console's JSON 405 (http-edge.ts).
export const { POST, PUT, PATCH, DELETE, OPTIONS } = {
  POST: refuseOtherMethod,
  PUT: refuseOtherMethod,
  PATCH: refuseOtherMethod,
  DELETE: refuseOtherMethod,
  OPTIONS: answerOtherOptions,
};
