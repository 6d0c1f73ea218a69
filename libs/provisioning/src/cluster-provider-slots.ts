import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { abortableSleep } from '@hybridforms/core';
import { ProviderSlots, type ProvisionSlots } from './provider-slots.js';

/*
 * One sorted set per provider: a member per slot holder, scored with the time its lease runs out
 * (Redis's own clock, so the processes' clocks need not agree). Taking a slot drops the expired
 * leases first: a process that died gives its slots back once their leases run out.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1`;

/** Extends the leases still held; returns how many were no longer there (expired meanwhile). */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lost = 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then redis.call('ZADD', KEYS[1], now + lease, ARGV[i]) else lost = lost + 1 end
end
redis.call('PEXPIRE', KEYS[1], lease)
return lost`;

/** The sorted set of a provider's slot leases. */
export function provisionSlotsKey(prefix: string, providerId: string): string {
  return `${prefix}:provision-slots:${providerId}`;
}

export interface ClusterProviderSlotsOptions {
  redisUrl: string;
  prefix: string;
  perProvider: number;
  /** How long a slot outlives its holder's process (renewed every third of it while held). */
  leaseMs: number;
  /** Between two tries for a slot the cluster has none of (a random part up to as much again is added). */
  pollMs?: number;
}

/**
 * Distributed mode: the per-provider bound holds for the whole cluster, not per worker, so three
 * workers do not open three times the creates against one subscription. A task first takes one
 * of this process's slots (its turn among the tasks here, in arrival order), then a lease in
 * Redis. Redis unreachable: the task waits and tries again (the queue needs Redis anyway), said in
 * the log at most every 10 s.
 */
export class ClusterProviderSlots implements ProvisionSlots {
  private readonly logger = new Logger(ClusterProviderSlots.name);
  private readonly redis: Redis;
  private readonly local: ProviderSlots;
  /** Holder id → provider, for the leases this process holds. */
  private readonly held = new Map<string, string>();
  private readonly renewal: NodeJS.Timeout;
  private readonly pollMs: number;
  private lastWarning = 0;
  private closed = false;

  constructor(private readonly options: ClusterProviderSlotsOptions) {
    this.local = new ProviderSlots(options.perProvider);
    this.pollMs = options.pollMs ?? 250;
    // Lazy: the first command connects (a process that never provisions opens no connection).
    this.redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 2000 });
    this.redis.on('error', (error: Error) => this.warn('provision slots: Redis', error));
    this.renewal = setInterval(() => void this.renew(), Math.max(200, Math.floor(options.leaseMs / 3)));
    this.renewal.unref();
  }

  async acquire(providerId: string, signal: AbortSignal): Promise<() => void> {
    const releaseLocal = await this.local.acquire(providerId, signal);
    const holder = `${hostname()}:${process.pid}:${randomUUID()}`;
    try {
      for (;;) {
        if (this.closed) throw new Error('provision slots closed: this process is shutting down');
        if (await this.tryTake(providerId, holder)) break;
        await abortableSleep(this.pollMs + Math.floor(Math.random() * this.pollMs), signal);
      }
    } catch (error) {
      releaseLocal();
      throw error;
    }
    this.held.set(holder, providerId);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.delete(holder);
      releaseLocal();
      // A release that does not reach Redis frees the slot when its lease runs out.
      this.redis.zrem(this.key(providerId), holder).catch((error: Error) => this.warn('provision slots: a release', error));
    };
  }

  /** This process's leases in Redis (tests). */
  heldCount(): number {
    return this.held.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewal);
    const byProvider = this.byProvider();
    this.held.clear();
    try {
      for (const [providerId, holders] of byProvider) await this.redis.zrem(this.key(providerId), ...holders);
    } catch (error) {
      this.warn('provision slots: giving back at shutdown', error as Error);
    }
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }

  private async tryTake(providerId: string, holder: string): Promise<boolean> {
    try {
      const taken = await this.redis.eval(ACQUIRE, 1, this.key(providerId), holder, this.options.perProvider, this.options.leaseMs);
      return taken === 1;
    } catch (error) {
      this.warn('provision slots: taking a slot (trying again)', error as Error);
      return false;
    }
  }

  private async renew(): Promise<void> {
    for (const [providerId, holders] of this.byProvider()) {
      try {
        const lost = Number(await this.redis.eval(RENEW, 1, this.key(providerId), this.options.leaseMs, ...holders));
        // A process stalled longer than the lease: others may have taken the slots meanwhile.
        if (lost > 0) this.logger.warn(`provider ${providerId}: ${lost} provision slot lease(s) ran out while held; the cluster's bound may be passed until they end`);
      } catch (error) {
        this.warn('provision slots: renewing leases', error as Error);
      }
    }
  }

  private byProvider(): Map<string, string[]> {
    const grouped = new Map<string, string[]>();
    for (const [holder, providerId] of this.held) grouped.set(providerId, [...(grouped.get(providerId) ?? []), holder]);
    return grouped;
  }

  private key(providerId: string): string {
    return provisionSlotsKey(this.options.prefix, providerId);
  }

  /** Never the URL (it may hold a password); at most every 10 s. */
  private warn(what: string, error: Error): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(`${what}: ${error.message.replace(/\/\/[^@\s]*@/g, '//***@')}`);
  }
}
