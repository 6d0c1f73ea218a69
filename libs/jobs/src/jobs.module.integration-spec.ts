import { NestFactory } from '@nestjs/core';
import { JOB_QUEUE, type JobQueue } from './job-queue.js';
import { kindOptions } from './job-queue.contract.js';
import { JobsModule } from './jobs.module.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from './testing/redis-test-queue.js';

async function appWith(redisUrl: string | null, prefix: string) {
  const app = await NestFactory.createApplicationContext(JobsModule.forRoot({ redisUrl, prefix, lockMs: 2_000, stalledCheckMs: 1_000 }), { logger: false });
  app.enableShutdownHooks();
  return { app, queue: app.get<JobQueue>(JOB_QUEUE) };
}

describe('JobsModule', () => {
  it('provides the in-process queue without a Redis URL, and closes it when the application closes', async () => {
    const { app, queue } = await appWith(null, 'unused');
    expect(queue.implementation).toBe('in-process');
    queue.define({ kind: 'echo', options: kindOptions(), handle: async () => undefined });
    await app.close();
    await expect(queue.enqueue('echo', {})).rejects.toThrow(/closed/);
  });

  it('provides the BullMQ queue with a Redis URL, and leaves a queue already closed as it is', async () => {
    const prefix = uniquePrefix();
    const { app, queue } = await appWith(TEST_REDIS_URL, prefix);
    try {
      expect(queue.implementation).toBe('bullmq');
      expect(await queue.ping()).toBe(true);
      queue.define({ kind: 'echo', options: kindOptions(), handle: async () => undefined });
      await queue.start();
      await queue.close(1_000);
      await app.close();
      await expect(queue.enqueue('echo', {})).rejects.toThrow(/closed/);
    } finally {
      await deleteKeys(prefix);
    }
  });
});
