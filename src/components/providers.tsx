'use client';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { httpBatchLink, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { type ReactNode, useState } from 'react';
import { z } from 'zod';
import { trpc } from '@/lib/trpc';

// Schemas validate in the browser too. Zod would probe for `Function` (eval) to compile them, which the Content
// Security Policy refuses (and reports); the interpreted path is just as correct.
z.config({ jitless: true });

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(() => {
    // A call refused as UNAUTHORIZED means the session ended (signed out elsewhere, operator disabled): the shell
    // re-reads who is signed in and, finding no one, takes the page to the sign-in page.
    const onError = (error: unknown) => {
      if (isUnauthorized(error)) void client.invalidateQueries({ queryKey: [['auth', 'me']] });
    };
    const client: QueryClient = new QueryClient({
      queryCache: new QueryCache({ onError }),
      mutationCache: new MutationCache({ onError }),
      defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: true, staleTime: 5_000 } },
    });
    return client;
  });
  const [client] = useState(() =>
    trpc.createClient({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url: '/api/trpc' }),
          // The server refuses batches over 16 calls (TRPC_MAX_BATCH_SIZE, at least 16), query strings over 8 KiB
          // (TRPC_MAX_QUERY_BYTES), and auth.login in a batch; the links stay within those.
          false: splitLink({
            condition: (op) => op.path === 'auth.login',
            true: httpLink({ url: '/api/trpc' }),
            false: httpBatchLink({ url: '/api/trpc', maxItems: 16, maxURLLength: 6_000 }),
          }),
        }),
      ],
    }),
  );
  return (
    <trpc.Provider client={client} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </trpc.Provider>
  );
}

function isUnauthorized(error: unknown): boolean {
  const data = (error as { data?: { code?: unknown } } | null)?.data;
  return data?.code === 'UNAUTHORIZED';
}
