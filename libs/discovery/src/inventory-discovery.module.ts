import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MetricCaptureEntity, ProviderEntity, RefreshEntity, VmEntity } from '@hybridforms/persistence';
import { TelemetryModule } from '@hybridforms/telemetry';
import { EventCatcher } from './events/event.catcher.js';
import { TargetedRefreshQueue } from './events/targeted-refresh.queue.js';
import { TelemetryScheduler } from './telemetry.scheduler.js';
import { MetricCapture } from './metrics/metric.capture.js';
import { ProvidersService } from './providers/providers.service.js';
import { JobQueueRefreshDispatcher } from './refresh/job-queue-refresh.dispatcher.js';
import { DiscoveryJobs } from './discovery.jobs.js';
import { REFRESH_DISPATCHER, RefreshService } from './refresh/refresh.service.js';
import { RefreshScheduler } from './refresh/refresh.scheduler.js';

/** Providers, refresh orchestration, scheduled discovery, event catching and metric capture, as jobs of the queue. */
@Module({
  imports: [TelemetryModule, TypeOrmModule.forFeature([ProviderEntity, RefreshEntity, VmEntity, MetricCaptureEntity])],
  providers: [
    ProvidersService,
    RefreshService,
    RefreshScheduler,
    JobQueueRefreshDispatcher,
    DiscoveryJobs,
    EventCatcher,
    TargetedRefreshQueue,
    MetricCapture,
    TelemetryScheduler,
    { provide: REFRESH_DISPATCHER, useExisting: JobQueueRefreshDispatcher },
  ],
  exports: [ProvidersService, RefreshService, RefreshScheduler, JobQueueRefreshDispatcher, EventCatcher, TargetedRefreshQueue, MetricCapture, TelemetryScheduler, TelemetryModule],
})
export class InventoryDiscoveryModule {}
