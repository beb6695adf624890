import { router } from './init';
import { adminRouter } from './routers/admin.router';
import { authRouter } from './routers/auth.router';
import { automationsRouter } from './routers/automations.router';

export const appRouter = router({
  auth: authRouter,
  automations: automationsRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
