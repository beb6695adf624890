import 'server-only';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { LockGrant, LockProvider } from './lock-provider';
import { lockStoreUnavailable } from './redis-connection';

// Mutex values are "<token>|<holder>"; scripts compare the token part only.
const ACQUIRE = `
if redis.call('exists', KEYS[1]) == 1 then return false end
local fence = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return fence`;

const EXTEND = `
local v = redis.call('get', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`;

const RELEASE = `
local v = redis.call('get', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then
  return redis.call('del', KEYS[1])
end
return 0`;

/**
 * Locks in Redis, shared by every instance that uses the same Redis and key prefix. Acquire, extend and release
 * are single Lua scripts, so checking the token and acting on it cannot interleave with another client.
 * Guarantee limits: with a Redis failover between primary and replica a grant can be lost and given twice; run
 * side effects are idempotent (unique slot rows, unique outbox rows) to bound that damage.
 */
export class RedisLockProvider implements LockProvider {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async claimSlot(name: string, slot: string, ttlMs: number): Promise<boolean> {
    const reply = await this.call(() => this.redis.set(`${this.prefix}slot:${name.length}:${name}:${slot}`, '1', 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }

  async acquire(name: string, ttlMs: number, holder: string): Promise<LockGrant | null> {
    const token = randomBytes(16).toString('hex');
    const fence = await this.call(() => this.redis.eval(ACQUIRE, 2, this.mutexKey(name), `${this.prefix}fence:${name}`, `${token}|${holder}`, ttlMs));
    if (fence === null || fence === undefined) return null;
    return { name, token, fence: Number(fence) };
  }

  async extend(name: string, token: string, ttlMs: number): Promise<boolean> {
    const reply = await this.call(() => this.redis.eval(EXTEND, 1, this.mutexKey(name), token, ttlMs));
    return Number(reply) === 1;
  }

  async release(name: string, token: string): Promise<boolean> {
    const reply = await this.call(() => this.redis.eval(RELEASE, 1, this.mutexKey(name), token));
    return Number(reply) === 1;
  }

  async holder(name: string): Promise<string | null> {
    const value = await this.call(() => this.redis.get(this.mutexKey(name)));
    if (typeof value !== 'string') return null;
    const bar = value.indexOf('|');
    return bar >= 0 ? value.slice(bar + 1) : null;
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  async close(): Promise<void> {
    // The connection belongs to the composition root, which closes it.
  }

  private mutexKey(name: string): string {
    return `${this.prefix}mutex:${name}`;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw lockStoreUnavailable(error);
    }
  }
}
