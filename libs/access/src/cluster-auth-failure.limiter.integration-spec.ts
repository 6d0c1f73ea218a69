import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisAuthFailureCounter } from './cluster-auth-failure.limiter.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('RedisAuthFailureCounter (real Redis)', () => {
  const prefix = `hf-auth-test-${randomBytes(4).toString('hex')}`;
  const counters: RedisAuthFailureCounter[] = [];
  const redis = new Redis(REDIS_URL);

  afterAll(async () => {
    for (const counter of counters) await counter.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    // ioredis leaves a short reconnect timer behind a client that never connected.
    await new Promise((resolve) => setTimeout(resolve, 2100));
  });

  const counter = (url = REDIS_URL, max = 5) => {
    const made = new RedisAuthFailureCounter(url, prefix, max);
    counters.push(made);
    return made;
  };

  it('counts the failures of one address across API processes: the limit is the cluster’s, not each one’s', async () => {
    const [a, b, c] = [counter(), counter(), counter()];
    for (const [i, process] of [a, b, c, a, b].entries()) {
      expect({ i, wait: await process.retryAfterSeconds('10.1.1.1') }).toEqual({ i, wait: 0 });
      await process.recordFailure('10.1.1.1');
    }
    // Five failures spread over three processes: every one of them now refuses the address.
    for (const process of [a, b, c]) {
      const wait = await process.retryAfterSeconds('10.1.1.1');
      expect(wait).toBeGreaterThan(50);
      expect(wait).toBeLessThanOrEqual(60);
    }
    expect(await c.retryAfterSeconds('10.1.1.2')).toBe(0);
    // The window is the first failure's: later failures do not extend it.
    const ttl = await redis.pttl(`${prefix}:auth-failures:10.1.1.1`);
    await a.recordFailure('10.1.1.1');
    expect(await redis.pttl(`${prefix}:auth-failures:10.1.1.1`)).toBeLessThanOrEqual(ttl);
  });

  it('falls back to its own count when Redis is unreachable, without naming the password', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const away = counter('redis://:away-pass-123@127.0.0.1:1', 2);
    const started = Date.now();
    expect(await away.retryAfterSeconds('10.2.2.2')).toBe(0);
    await away.recordFailure('10.2.2.2');
    await away.recordFailure('10.2.2.2');
    expect(await away.retryAfterSeconds('10.2.2.2')).toBeGreaterThan(50);
    // Each call gives up on Redis within its command timeout instead of holding the request.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(warnings).toHaveBeenCalled();
    expect(JSON.stringify(warnings.mock.calls)).not.toContain('away-pass-123');
    warnings.mockRestore();
  });
});
