import { Module } from '@nestjs/common';
import { AutomationModule } from '@hybridforms/automation';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { DecideProvisionRequest } from './decide-provision-request.usecase.js';
import { ProvisionRequestQueries } from './provision-request.queries.js';
import { ProvisionSources } from './provision-sources.query.js';
import { SubmitProvisionRequest } from './submit-provision-request.usecase.js';

/** Provisioning: the sources VMs are made from, requests, their approval and quotas. No routes. */
@Module({
  imports: [InventoryDiscoveryModule, AutomationModule],
  providers: [ProvisionSources, SubmitProvisionRequest, DecideProvisionRequest, ProvisionRequestQueries],
  exports: [ProvisionSources, SubmitProvisionRequest, DecideProvisionRequest, ProvisionRequestQueries],
})
export class ProvisioningModule {}
