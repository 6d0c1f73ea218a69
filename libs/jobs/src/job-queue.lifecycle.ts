import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { APP_CONFIG, RUNS_JOBS, type AppConfig } from '@hybridforms/core';
import { JOB_SCHEDULES, type JobSchedule } from './handles-job.decorator.js';
import { JOB_QUEUE, type JobQueue } from './job-queue.js';

/**
 * In a process that runs jobs: declares the cluster's schedules (JOB_SCHEDULES) and starts running
 * jobs once every module has defined its kinds. On shutdown it stops taking jobs and gives running
 * ones the configured grace before handing them back.
 */
@Injectable()
export class JobQueueLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobQueueLifecycle.name);

  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(RUNS_JOBS) private readonly runsJobs: boolean,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(JOB_SCHEDULES) private readonly schedules: readonly JobSchedule[] | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runsJobs) return;
    for (const schedule of this.schedules ?? []) await this.queue.schedule(schedule.kind, schedule.everyMs(this.config), schedule.kind, schedule.payload ?? {});
    await this.queue.start();
    this.logger.log(`running jobs (${this.queue.implementation} queue)`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.queue.close(this.config.queue.shutdownGraceSeconds * 1000);
  }
}

/** The queue's settings from the application's configuration. */
export function jobsOptionsOf(config: AppConfig): { redisUrl: string | null; prefix: string; lockMs: number; stalledCheckMs: number } {
  return { redisUrl: config.queue.redisUrl, prefix: config.queue.prefix, lockMs: config.queue.lockSeconds * 1000, stalledCheckMs: config.queue.stalledCheckSeconds * 1000 };
}
