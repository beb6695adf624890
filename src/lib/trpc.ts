'use client';
import { createTRPCReact } from '@trpc/react-query';
import type { AppRouter } from '@/server/trpc/app-router';

/** Typed tRPC hooks for the console's pages. */
export const trpc = createTRPCReact<AppRouter>();
