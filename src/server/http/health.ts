import { getContainer } from '../container';
import { json } from './responses';

/**
 * Readiness for load balancers: 200 with the instance id and version once the container is built (migrations
 * done), 503 otherwise. No authentication, so it says nothing secret and no error texts.
 */
export async function healthResponse(): Promise<Response> {
  try {
    const c = await getContainer();
    return json({
      status: 'ok',
      instanceId: c.config.instanceId,
      version: c.version,
      lockStore: c.locks.kind === 'redis' ? (c.lockHealth.problem() ? 'unavailable' : 'ok') : 'local',
    });
  } catch {
    return json({ status: 'unavailable' }, 503, { 'retry-after': '5' });
  }
}
