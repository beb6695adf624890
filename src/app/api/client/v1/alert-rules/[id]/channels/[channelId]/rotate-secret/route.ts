import { alertsApi } from '@/server/http/alerts-api';

export const dynamic = 'force-dynamic';
export const POST = alertsApi.rotateChannelSecret;
