import { tenantsApi } from '@/server/http/tenants-api';

export const dynamic = 'force-dynamic';
export const GET = tenantsApi.get;
export const PATCH = tenantsApi.update;
export const DELETE = tenantsApi.delete;
