import { BullMqJobQueue } from '../bullmq.job-queue.js';

/*
 * A worker process for the crash spec: runs one BullMqJobQueue whose handler takes a job and never
 * finishes it, so the spec can SIGKILL this process mid-job. Configured by JOB_WORKER_CHILD (JSON);
 * reports on stdout, one line each: `ready`, `started <job id>`.
 */

interface ChildConfig {
  redisUrl: string;
  prefix: string;
  kind: string;
  interrupted: 'retry' | 'fail';
  lockMs: number;
  stalledCheckMs: number;
  maxStalledCount?: number;
}

const config = JSON.parse(process.env.JOB_WORKER_CHILD ?? '{}') as ChildConfig;
const queue = new BullMqJobQueue({
  redisUrl: config.redisUrl,
  prefix: config.prefix,
  lockMs: config.lockMs,
  stalledCheckMs: config.stalledCheckMs,
  maxStalledCount: config.maxStalledCount,
  logger: { log: () => undefined, warn: (message) => console.error(message), error: (message) => console.error(message) },
});
queue.define({
  kind: config.kind,
  options: { concurrency: 1, attempts: 1, backoffMs: 100, interrupted: config.interrupted },
  handle: async (job) => {
    process.stdout.write(`started ${job.id}\n`);
    await new Promise(() => undefined);
  },
  onInterrupted: async (job) => void process.stdout.write(`interrupted ${job.id}\n`),
});
await queue.start();
process.stdout.write('ready\n');
