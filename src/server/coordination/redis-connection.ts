import 'server-only';
import { Redis, type RedisOptions } from 'ioredis';
import { AppError, errorMessage } from '../errors';

/**
 * Opens a Redis connection that fails fast while Redis is unreachable (no offline queue, one retry per command,
 * a command timeout) and keeps reconnecting in the background. Callers turn failures into LOCK_STORE_UNAVAILABLE.
 */
export function openRedis(url: string, onError: (message: string) => void, extra: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(250 * attempt, 2000),
    lazyConnect: false,
    ...extra,
  });
  let lastReported = '';
  // Without a listener ioredis reports every failed reconnect as an unhandled error.
  redis.on('error', (error: unknown) => {
    const message = errorMessage(error);
    if (message !== lastReported) onError(message);
    lastReported = message;
  });
  redis.on('ready', () => {
    lastReported = '';
  });
  return redis;
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export function waitUntilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new AppError('LOCK_STORE_UNAVAILABLE', `Lock store (Redis) unavailable: not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

export function lockStoreUnavailable(error: unknown): AppError {
  return new AppError('LOCK_STORE_UNAVAILABLE', `Lock store (Redis) unavailable: ${errorMessage(error)}`, {
    retryAfterSeconds: 5,
  });
}
