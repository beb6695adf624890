import { automationsApi } from '@/server/http/automations-api';

export const dynamic = 'force-dynamic';
export const GET = automationsApi.runs;
