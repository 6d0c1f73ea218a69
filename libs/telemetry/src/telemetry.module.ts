import { Module } from '@nestjs/common';
import { EventStream } from './event-stream.js';
import { EventStore } from './event.store.js';
import { MetricMaintenanceJobs } from './metric-maintenance.jobs.js';
import { MetricQueryService } from './metric-query.service.js';
import { MetricRetentionService } from './metric-retention.service.js';
import { MetricRollupService } from './metric-rollup.service.js';
import { MetricStore } from './metric.store.js';

/** The event store, metric samples, rollups, retention and their queries (the repositories come from the global PersistenceModule). */
@Module({
  providers: [MetricMaintenanceJobs, EventStore, EventStream, MetricStore, MetricRollupService, MetricRetentionService, MetricQueryService],
  exports: [EventStore, EventStream, MetricStore, MetricRollupService, MetricRetentionService, MetricQueryService],
})
export class TelemetryModule {}
