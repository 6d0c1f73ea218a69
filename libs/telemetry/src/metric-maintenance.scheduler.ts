import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, scheduleEvery, type AppConfig } from '@hybridforms/core';
import { MetricRetentionService } from './metric-retention.service.js';
import { MetricRollupService } from './metric-rollup.service.js';

const ROLLUP_TICK = 'telemetry:rollup-tick';
const PURGE_TICK = 'telemetry:purge-tick';

/** Rolls up new samples and purges expired rows on their own schedules, apart from ingestion. */
@Injectable()
export class MetricMaintenanceScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MetricMaintenanceScheduler.name);

  constructor(
    private readonly rollups: MetricRollupService,
    private readonly retention: MetricRetentionService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    scheduleEvery(this.scheduler, ROLLUP_TICK, this.config.metrics.rollupIntervalSeconds, () => this.rollups.rollupPending(), this.logger);
    scheduleEvery(this.scheduler, PURGE_TICK, this.config.metrics.purgeIntervalSeconds, () => this.retention.purge(), this.logger);
  }

  onModuleDestroy(): void {
    for (const name of [ROLLUP_TICK, PURGE_TICK]) if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
  }
}
