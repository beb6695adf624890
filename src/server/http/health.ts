import 'server-only';
import { getContainer } from '../container';
import { json } from './responses';

/**
 * Readiness for load balancers: 200 with the instance id and version once the container is built (migrations
 * done), 503 otherwise. No authentication, so it says nothing secret and no error texts.
 */
export async function healthResponse(): Promise<Response> {
  try {
    const container = await getContainer();
    return json({
      status: 'ok',
      instanceId: container.config.instanceId,
      version: container.version,
      lockStore: container.locks.kind === 'redis' ? (container.lockHealth.problem() ? 'unavailable' : 'ok') : 'local',
    });
  } catch {
    return json({ status: 'unavailable' }, 503, { 'retry-after': '5' });
  }
}
