import { Inject, Injectable, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, RUNS_JOBS, type AppConfig } from '@hybridforms/core';
import { JOB_QUEUE, type JobQueue } from '@hybridforms/jobs';
import { MetricRetentionService } from './metric-retention.service.js';
import { MetricRollupService } from './metric-rollup.service.js';

const ROLLUP_JOB = 'metric-rollup';
const PURGE_JOB = 'metric-purge';

/**
 * Rolls up new samples and purges expired rows on their own schedules, apart from ingestion. Each
 * schedule fires once per cluster and never overlaps itself, so two rollups never race.
 */
@Injectable()
export class MetricMaintenanceJobs implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly rollups: MetricRollupService,
    private readonly retention: MetricRetentionService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(RUNS_JOBS) private readonly runsJobs: boolean,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const options = { concurrency: 1, attempts: 1, backoffMs: 0, interrupted: 'retry' } as const;
    this.queue.define({ kind: ROLLUP_JOB, options, handle: () => this.rollups.rollupPending().then(() => undefined) });
    this.queue.define({ kind: PURGE_JOB, options, handle: () => this.retention.purge().then(() => undefined) });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runsJobs) return;
    await this.queue.schedule(ROLLUP_JOB, this.config.metrics.rollupIntervalSeconds * 1000, ROLLUP_JOB, {});
    await this.queue.schedule(PURGE_JOB, this.config.metrics.purgeIntervalSeconds * 1000, PURGE_JOB, {});
  }
}
