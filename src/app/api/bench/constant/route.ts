import { benchConstantResponse } from '@/server/http/bench-constant';

export const dynamic = 'force-dynamic';
export const GET = benchConstantResponse;
