import { Injectable } from '@nestjs/common';
import { HandlesJob, type JobKindOptions } from '@hybridforms/jobs';
import { MetricRetentionService } from './metric-retention.service.js';
import { MetricRollupService } from './metric-rollup.service.js';

export const METRIC_ROLLUP_JOB = 'metric-rollup';
export const METRIC_PURGE_JOB = 'metric-purge';

// Each runs from a schedule that fires once per cluster and never overlaps itself: two rollups never race.
const MAINTENANCE: JobKindOptions = { concurrency: 1, attempts: 1, backoffMs: 0, interrupted: 'retry' };

/** Rolls up new samples and purges expired rows, apart from ingestion (scheduled in the runtime's table). */
@Injectable()
export class MetricMaintenanceJobs {
  constructor(
    private readonly rollups: MetricRollupService,
    private readonly retention: MetricRetentionService,
  ) {}

  @HandlesJob(METRIC_ROLLUP_JOB, MAINTENANCE)
  async rollup(): Promise<void> {
    await this.rollups.rollupPending();
  }

  @HandlesJob(METRIC_PURGE_JOB, MAINTENANCE)
  async purge(): Promise<void> {
    await this.retention.purge();
  }
}
