import { Module } from '@nestjs/common';
import { AutomationModule } from '@hybridforms/automation';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { OperationsModule } from '@hybridforms/operations';
import { DecideProvisionRequest } from './decide-provision-request.usecase.js';
import { ProvisionRequestQueries } from './provision-request.queries.js';
import { ProvisionSources } from './provision-sources.query.js';
import { RunProvisionRequest } from './run-provision-request.usecase.js';
import { SubmitProvisionRequest } from './submit-provision-request.usecase.js';

/** Provisioning: the sources VMs are made from, requests, their approval and quotas, their tasks run as jobs. No routes. */
@Module({
  imports: [InventoryDiscoveryModule, AutomationModule, OperationsModule],
  providers: [ProvisionSources, SubmitProvisionRequest, DecideProvisionRequest, ProvisionRequestQueries, RunProvisionRequest],
  exports: [ProvisionSources, SubmitProvisionRequest, DecideProvisionRequest, ProvisionRequestQueries, RunProvisionRequest],
})
export class ProvisioningModule {}
