import { inferenceApi } from '@/server/http/inference-api';

export const dynamic = 'force-dynamic';
export const GET = inferenceApi.list;
export const POST = inferenceApi.create;
