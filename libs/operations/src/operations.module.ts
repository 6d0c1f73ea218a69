import { Module } from '@nestjs/common';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { TelemetryModule } from '@hybridforms/telemetry';
import { ExecuteOperation } from './execute-operation.usecase.js';
import { OperationProgressStream } from './operation-progress.stream.js';
import { OperationQueries } from './operation.queries.js';
import { RequestVmAction } from './request-vm-action.usecase.js';
import { RetireVm } from './retire-vm.usecase.js';
import { RetirementJobs } from './retirement.jobs.js';

/** Lifecycle operations on VMs (power actions, retirement): asked for, stored, run as resumable jobs, read back. No routes. */
@Module({
  imports: [InventoryDiscoveryModule, TelemetryModule],
  providers: [RequestVmAction, RetireVm, RetirementJobs, ExecuteOperation, OperationQueries, OperationProgressStream],
  exports: [RequestVmAction, RetireVm, ExecuteOperation, OperationQueries, OperationProgressStream],
})
export class OperationsModule {}
