import 'server-only';
import { router } from './init';
import { adminRouter } from './routers/admin.router';
import { alertsRouter } from './routers/alerts.router';
import { authRouter } from './routers/auth.router';
import { automationsRouter } from './routers/automations.router';
import { browserRouter } from './routers/browser.router';
import { inferenceRouter } from './routers/inference.router';
import { tenantsRouter } from './routers/tenants.router';

export const appRouter = router({
  auth: authRouter,
  automations: automationsRouter,
  admin: adminRouter,
  tenants: tenantsRouter,
  inference: inferenceRouter,
  browser: browserRouter,
  alerts: alertsRouter,
});

export type AppRouter = typeof appRouter;
