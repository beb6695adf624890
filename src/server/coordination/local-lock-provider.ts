import 'server-only';
import { randomBytes } from 'node:crypto';
import type { LockGrant, LockProvider } from './lock-provider';

interface Held {
  token: string;
  holder: string;
  expiresAt: number;
}

/**
 * In-process locks for the embedded default (one instance). Same contract as the Redis provider; time comes
 * from the injected clock so tests can move it.
 */
export class LocalLockProvider implements LockProvider {
  readonly kind = 'local' as const;
  private readonly mutexes = new Map<string, Held>();
  private readonly slots = new Map<string, number>();
  private readonly fences = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async claimSlot(name: string, slot: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    this.sweepSlots(now);
    const id = `${name}\u0000${slot}`;
    const expiresAt = this.slots.get(id);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.slots.set(id, now + ttlMs);
    return true;
  }

  async acquire(name: string, ttlMs: number, holder: string): Promise<LockGrant | null> {
    const now = this.now();
    const held = this.mutexes.get(name);
    if (held && held.expiresAt > now) return null;
    const token = randomBytes(16).toString('hex');
    const fence = (this.fences.get(name) ?? 0) + 1;
    this.fences.set(name, fence);
    this.mutexes.set(name, { token, holder, expiresAt: now + ttlMs });
    return { name, token, fence };
  }

  async extend(name: string, token: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const held = this.mutexes.get(name);
    if (!held || held.token !== token || held.expiresAt <= now) return false;
    held.expiresAt = now + ttlMs;
    return true;
  }

  async release(name: string, token: string): Promise<boolean> {
    const held = this.mutexes.get(name);
    if (!held || held.token !== token || held.expiresAt <= this.now()) return false;
    this.mutexes.delete(name);
    return true;
  }

  async holder(name: string): Promise<string | null> {
    const held = this.mutexes.get(name);
    return held && held.expiresAt > this.now() ? held.holder : null;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.mutexes.clear();
    this.slots.clear();
  }

  private sweepSlots(now: number): void {
    if (this.slots.size < 1024) return;
    for (const [id, expiresAt] of this.slots) if (expiresAt <= now) this.slots.delete(id);
  }
}
