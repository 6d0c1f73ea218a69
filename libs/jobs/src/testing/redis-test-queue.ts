import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { BullMqJobQueue, type BullMqJobQueueOptions, type JobQueueLogger } from '../bullmq.job-queue.js';

/** The Redis the integration specs share; each test keeps to keys under a prefix of its own. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(): string {
  return `hf-jobs-test-${randomBytes(5).toString('hex')}`;
}

/** Short lock and stalled-check periods, so takeovers happen within seconds. */
export function testQueue(prefix: string, options: Partial<BullMqJobQueueOptions> = {}): BullMqJobQueue {
  return new BullMqJobQueue({ redisUrl: TEST_REDIS_URL, prefix, lockMs: 2_000, stalledCheckMs: 1_000, logger: quietLogger(), ...options });
}

/** Keeps warnings and errors (shown on failure), drops the chatter. */
export function quietLogger(lines: string[] = []): JobQueueLogger {
  return { log: () => undefined, warn: (message) => void lines.push(`warn ${message}`), error: (message) => void lines.push(`error ${message}`) };
}

/** Removes every key under the prefix (a queue's, or a whole test cluster's: queues, bus, counters). */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
