import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MetricCaptureEntity, ProviderEntity, RefreshEntity, VmEntity } from '@hybridforms/persistence';
import { TelemetryModule } from '@hybridforms/telemetry';
import { EventCatcher } from './events/event.catcher.js';
import { TargetedRefreshQueue } from './events/targeted-refresh.queue.js';
import { TelemetryScheduler } from './telemetry.scheduler.js';
import { MetricCapture } from './metrics/metric.capture.js';
import { ProvidersService } from './providers/providers.service.js';
import { InProcessRefreshDispatcher } from './refresh/in-process-refresh.dispatcher.js';
import { REFRESH_DISPATCHER, RefreshService } from './refresh/refresh.service.js';
import { RefreshScheduler } from './refresh/refresh.scheduler.js';

/** Providers, refresh orchestration, scheduled discovery, event catching and metric capture. */
@Module({
  imports: [ScheduleModule.forRoot(), TelemetryModule, TypeOrmModule.forFeature([ProviderEntity, RefreshEntity, VmEntity, MetricCaptureEntity])],
  providers: [
    ProvidersService,
    RefreshService,
    RefreshScheduler,
    InProcessRefreshDispatcher,
    EventCatcher,
    TargetedRefreshQueue,
    MetricCapture,
    TelemetryScheduler,
    { provide: REFRESH_DISPATCHER, useExisting: InProcessRefreshDispatcher },
  ],
  exports: [ProvidersService, RefreshService, RefreshScheduler, InProcessRefreshDispatcher, EventCatcher, TargetedRefreshQueue, MetricCapture, TelemetryScheduler, TelemetryModule],
})
export class InventoryDiscoveryModule {}
