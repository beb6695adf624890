import { getContainer } from '@/server/container';
import { refuseOtherMethod } from '@/server/http/http-edge';
import { trpcHandler } from '@/server/trpc/handler';

export const dynamic = 'force-dynamic';
const handler = trpcHandler(getContainer);
export { handler as GET, handler as POST };
// The framework's own 405 has no Allow and no body: the other methods get the console's JSON 405 (http-edge.ts).
export const { PUT, PATCH, DELETE } = { PUT: refuseOtherMethod, PATCH: refuseOtherMethod, DELETE: refuseOtherMethod };
