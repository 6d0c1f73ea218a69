import { Module } from '@nestjs/common';
import { TelemetryModule } from '@hybridforms/telemetry';
import { EventCatcher } from './events/event.catcher.js';
import { TargetedRefreshQueue } from './events/targeted-refresh.queue.js';
import { TelemetryScheduler } from './telemetry.scheduler.js';
import { MetricCapture } from './metrics/metric.capture.js';
import { ProvidersService } from './providers/providers.service.js';
import { DiscoveryJobs } from './discovery.jobs.js';
import { RefreshInventoryPipeline } from './refresh/refresh-inventory.pipeline.js';
import { RefreshRunner } from './refresh/refresh.runner.js';
import { RefreshService } from './refresh/refresh.service.js';
import { RefreshScheduler } from './refresh/refresh.scheduler.js';

/** Providers, refresh orchestration, scheduled discovery, event catching and metric capture, as jobs of the queue. */
@Module({
  imports: [TelemetryModule],
  providers: [
    ProvidersService,
    RefreshService,
    RefreshRunner,
    RefreshInventoryPipeline,
    RefreshScheduler,
    DiscoveryJobs,
    EventCatcher,
    TargetedRefreshQueue,
    MetricCapture,
    TelemetryScheduler,
  ],
  exports: [ProvidersService, RefreshService, RefreshRunner, RefreshScheduler, EventCatcher, TargetedRefreshQueue, MetricCapture, TelemetryScheduler, TelemetryModule],
})
export class InventoryDiscoveryModule {}
