import { automationsApi } from '@/server/http/api';

export const dynamic = 'force-dynamic';
export const GET = automationsApi.list;
