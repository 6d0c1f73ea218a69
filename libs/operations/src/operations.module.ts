import { Module } from '@nestjs/common';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { ExecuteOperation } from './execute-operation.usecase.js';
import { OperationProgressStream } from './operation-progress.stream.js';
import { OperationQueries } from './operation.queries.js';
import { RequestVmAction } from './request-vm-action.usecase.js';

/** Lifecycle operations on VMs: asked for, stored, run as resumable jobs, read back. No routes. */
@Module({
  imports: [InventoryDiscoveryModule],
  providers: [RequestVmAction, ExecuteOperation, OperationQueries, OperationProgressStream],
  exports: [RequestVmAction, ExecuteOperation, OperationQueries, OperationProgressStream],
})
export class OperationsModule {}
