import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { Container } from '../container';
import { json } from '../http/responses';
import { appRouter } from './app-router';
import { createTrpcContext } from './context';
import { bindStreamToSession } from './session-guard';

/**
 * tRPC over fetch at /api/trpc. Mutations are POST with a JSON body only, so a cross-site HTML form cannot
 * reach them (the session cookie is SameSite=Lax as well).
 */
export function trpcHandler(getContainer: () => Promise<Container>, endpoint = '/api/trpc') {
  return async (req: Request): Promise<Response> => {
    if (req.method === 'POST' && !(req.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      return json({ error: 'tRPC mutations need Content-Type: application/json', code: 'INVALID_INPUT' }, 415);
    }
    const c = await getContainer();
    const bound = bindStreamToSession(c, req);
    return fetchRequestHandler({
      endpoint,
      req: bound,
      router: appRouter,
      createContext: ({ resHeaders }) => createTrpcContext(c, bound, resHeaders),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') c.logger.error({ path, error: error.message }, 'tRPC procedure failed');
      },
    });
  };
}
