import { inferenceApi } from '@/server/http/inference-api';

export const dynamic = 'force-dynamic';
export const GET = inferenceApi.get;
export const PATCH = inferenceApi.update;
export const DELETE = inferenceApi.delete;
