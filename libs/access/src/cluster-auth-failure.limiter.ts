import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AuthFailureLimiter } from './auth-failure.limiter.js';

const WINDOW_MS = 60_000;

/** Where the guard counts failed authentications: this process, or the cluster. */
export interface AuthFailureCounter {
  /** Seconds the client must wait, or 0 when it may try. */
  retryAfterSeconds(client: string): Promise<number>;
  recordFailure(client: string): Promise<void>;
  close(): Promise<void>;
}

export const AUTH_FAILURE_COUNTER = Symbol('AUTH_FAILURE_COUNTER');

/** Embedded mode: the one process's own count. */
export class LocalAuthFailureCounter implements AuthFailureCounter {
  private readonly limiter: AuthFailureLimiter;

  constructor(maxFailuresPerMinute: number) {
    this.limiter = new AuthFailureLimiter(maxFailuresPerMinute);
  }

  async retryAfterSeconds(client: string): Promise<number> {
    return this.limiter.retryAfterSeconds(client);
  }

  async recordFailure(client: string): Promise<void> {
    this.limiter.recordFailure(client);
  }

  async close(): Promise<void> {}
}

/**
 * Distributed mode: one count per client address for the whole cluster, in Redis (a counter per
 * address and minute window, expiring with it), so N API processes do not allow N times the limit.
 * Redis unreachable: each process falls back to its own count rather than refusing everyone.
 */
export class RedisAuthFailureCounter implements AuthFailureCounter {
  private readonly logger = new Logger(RedisAuthFailureCounter.name);
  private readonly redis: Redis;
  private readonly fallback: LocalAuthFailureCounter;
  private lastWarning = 0;

  constructor(
    redisUrl: string,
    private readonly prefix: string,
    private readonly maxFailuresPerMinute: number,
  ) {
    this.fallback = new LocalAuthFailureCounter(maxFailuresPerMinute);
    // Fail fast: a request must not wait on a Redis that is away.
    this.redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000, commandTimeout: 1000 });
    this.redis.on('error', (error: Error) => this.warn(error));
    void this.redis.connect().catch((error: Error) => this.warn(error));
  }

  async retryAfterSeconds(client: string): Promise<number> {
    try {
      const [[, count], [, ttl]] = (await this.redis.multi().get(this.key(client)).pttl(this.key(client)).exec()) as [[null, string | null], [null, number]];
      if (count === null || Number(count) < this.maxFailuresPerMinute) return 0;
      return Math.max(1, Math.ceil((ttl > 0 ? ttl : WINDOW_MS) / 1000));
    } catch (error) {
      this.warn(error as Error);
      return this.fallback.retryAfterSeconds(client);
    }
  }

  async recordFailure(client: string): Promise<void> {
    try {
      // The window starts with the first failure and is not extended by later ones (NX).
      await this.redis.multi().incr(this.key(client)).pexpire(this.key(client), WINDOW_MS, 'NX').exec();
    } catch (error) {
      this.warn(error as Error);
      await this.fallback.recordFailure(client);
    }
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }

  private key(client: string): string {
    return `${this.prefix}:auth-failures:${client}`;
  }

  /** Never the URL (it may hold a password); at most every 10 s. */
  private warn(error: Error): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(`failed-authentication counts fall back to this process: ${error.message.replace(/\/\/[^@\s]*@/g, '//***@')}`);
  }
}
