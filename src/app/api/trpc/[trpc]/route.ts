import { getContainer } from '@/server/container';
import { trpcHandler } from '@/server/trpc/handler';

export const dynamic = 'force-dynamic';
const handler = trpcHandler(getContainer);
export { handler as GET, handler as POST };
