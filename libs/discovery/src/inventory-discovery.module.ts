import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProviderEntity, RefreshEntity, VmEntity } from '@hybridforms/persistence';
import { ProvidersService } from './providers/providers.service.js';
import { InProcessRefreshDispatcher } from './refresh/in-process-refresh.dispatcher.js';
import { REFRESH_DISPATCHER, RefreshService } from './refresh/refresh.service.js';
import { RefreshScheduler } from './refresh/refresh.scheduler.js';

/** Providers, refresh orchestration and scheduled discovery. */
@Module({
  imports: [ScheduleModule.forRoot(), TypeOrmModule.forFeature([ProviderEntity, RefreshEntity, VmEntity])],
  providers: [
    ProvidersService,
    RefreshService,
    RefreshScheduler,
    InProcessRefreshDispatcher,
    { provide: REFRESH_DISPATCHER, useExisting: InProcessRefreshDispatcher },
  ],
  exports: [ProvidersService, RefreshService, RefreshScheduler, InProcessRefreshDispatcher],
})
export class InventoryDiscoveryModule {}
