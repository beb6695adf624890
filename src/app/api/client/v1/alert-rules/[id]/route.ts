import { alertsApi } from '@/server/http/alerts-api';

export const dynamic = 'force-dynamic';
export const GET = alertsApi.getRule;
export const PATCH = alertsApi.updateRule;
export const DELETE = alertsApi.deleteRule;
