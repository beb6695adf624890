import { browserApi } from '@/server/http/browser-api';

export const dynamic = 'force-dynamic';
export const POST = browserApi.navigate;
