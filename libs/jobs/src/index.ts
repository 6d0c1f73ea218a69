export * from './job-queue.js';
export { INTERRUPTED_BY_CRASH, INTERRUPTED_BY_SHUTDOWN } from './job-queue.helpers.js';
export * from './in-process.job-queue.js';
export * from './bullmq.job-queue.js';
export * from './jobs.module.js';
export * from './job-queue.lifecycle.js';
export * from './cluster-bus.js';
export * from './handles-job.decorator.js';
export * from './job-handler.explorer.js';
