import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  DiskEntity,
  EventCheckpointEntity,
  EventEntity,
  HostEntity,
  ImageEntity,
  NicEntity,
  VmChangeEntity,
  VmEntity,
} from '@hybridforms/persistence';
import { EventQueryRepository } from './event-query.repository.js';
import { EventStream } from './event-stream.js';
import { EventStore } from './event.store.js';
import { MetricMaintenanceJobs } from './metric-maintenance.jobs.js';
import { MetricQueryRepository } from './metric-query.repository.js';
import { MetricRetentionService } from './metric-retention.service.js';
import { MetricRollupService } from './metric-rollup.service.js';
import { MetricStore } from './metric.store.js';

/** The event store, metric samples, rollups, retention and their queries. */
@Module({
  imports: [TypeOrmModule.forFeature([EventEntity, EventCheckpointEntity, VmEntity, NicEntity, DiskEntity, HostEntity, ImageEntity, VmChangeEntity])],
  providers: [MetricMaintenanceJobs, EventStore, EventStream, EventQueryRepository, MetricStore, MetricRollupService, MetricRetentionService, MetricQueryRepository],
  exports: [EventStore, EventStream, EventQueryRepository, MetricStore, MetricRollupService, MetricRetentionService, MetricQueryRepository],
})
export class TelemetryModule {}
