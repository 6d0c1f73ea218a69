import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { AutomationModule } from '@hybridforms/automation';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { OperationsModule } from '@hybridforms/operations';
import { DecideProvisionRequest } from './decide-provision-request.usecase.js';
import { ClusterProviderSlots } from './cluster-provider-slots.js';
import { PROVISION_SLOTS, ProviderSlots, type ProvisionSlots } from './provider-slots.js';
import { ProvisionRequestQueries } from './provision-request.queries.js';
import { ProvisionSources } from './provision-sources.query.js';
import { RunProvisionRequest } from './run-provision-request.usecase.js';
import { SubmitProvisionRequest } from './submit-provision-request.usecase.js';

/**
 * Provisioning: the sources VMs are made from, requests, their approval and quotas, their tasks
 * run as jobs, at most `provisioning.concurrencyPerProvider` making VMs at once per provider (per
 * cluster in distributed mode). No routes.
 */
@Module({
  imports: [InventoryDiscoveryModule, AutomationModule, OperationsModule],
  providers: [
    {
      provide: PROVISION_SLOTS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): ProvisionSlots =>
        config.queue.redisUrl === null
          ? new ProviderSlots(config.provisioning.concurrencyPerProvider)
          : new ClusterProviderSlots({
              redisUrl: config.queue.redisUrl,
              prefix: config.queue.prefix,
              perProvider: config.provisioning.concurrencyPerProvider,
              // A dead worker's slots come back as its jobs do: once its lock would have run out.
              leaseMs: config.queue.lockSeconds * 1000,
            }),
    },
    ProvisionSources, SubmitProvisionRequest, DecideProvisionRequest, ProvisionRequestQueries, RunProvisionRequest],
  exports: [ProvisionSources, SubmitProvisionRequest, DecideProvisionRequest, ProvisionRequestQueries, RunProvisionRequest],
})
export class ProvisioningModule {}
