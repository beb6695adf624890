import { browserApi } from '@/server/http/browser-api';

export const dynamic = 'force-dynamic';
export const GET = browserApi.get;
export const DELETE = browserApi.close;
