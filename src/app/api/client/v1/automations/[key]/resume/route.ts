import { automationsApi } from '@/server/http/api';

export const dynamic = 'force-dynamic';
export const POST = automationsApi.resume;
