import type { AlertsPort } from '../automations/definition';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { AlertEvaluationService } from './alert-evaluation.service';

/** Alert rules, incidents and notifications; the alert-evaluation automation runs `port.evaluateAll`. */
export function createAlertsModule(deps: ModuleDeps) {
  const evaluation = new AlertEvaluationService(deps.database.db);
  const port: AlertsPort = evaluation;
  return { port, evaluation, lifecycle: {} as Lifecycle };
}

export type AlertsModule = ReturnType<typeof createAlertsModule>;
