import { openApiResponse } from '@/server/http/client-api-docs';

export const dynamic = 'force-dynamic';
export const GET = openApiResponse;
