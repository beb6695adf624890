import type { InferencePort } from '../automations/definition';
import type { Lifecycle, ModuleDeps } from '../module-deps';
import { InferencePollService } from './inference-poll.service';

/** Inference servers, their samples, and the poll the inference-monitoring-poll automation runs. */
export function createInferenceModule(deps: ModuleDeps) {
  const poll = new InferencePollService(deps.database.db);
  const port: InferencePort = poll;
  return { port, poll, lifecycle: {} as Lifecycle };
}

export type InferenceModule = ReturnType<typeof createInferenceModule>;
