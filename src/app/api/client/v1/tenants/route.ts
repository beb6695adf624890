import { tenantsApi } from '@/server/http/tenants-api';

export const dynamic = 'force-dynamic';
export const GET = tenantsApi.list;
export const POST = tenantsApi.create;
