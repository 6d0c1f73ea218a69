import type { OperationEntity } from '@hybridforms/persistence';
import type { BatchOfOperations } from '@hybridforms/operations';

/** An operation as the API shows it: the steps without the providers' continuations. */
export function presentOperation(operation: OperationEntity) {
  return {
    id: operation.id,
    kind: operation.kind,
    action: operation.action,
    vmId: operation.vmId,
    vmName: operation.vmName,
    providerId: operation.providerId,
    status: operation.status,
    options: operation.options,
    requestedBy: operation.requestedBy,
    batchId: operation.batchId,
    provisionRequestId: operation.provisionRequestId,
    steps: operation.steps.map((step) => ({
      name: step.name,
      status: step.status,
      target: step.target ?? null,
      startedAt: step.startedAt,
      finishedAt: step.finishedAt,
      detail: step.detail ?? null,
      ...(step.errorCode ? { errorCode: step.errorCode } : {}),
    })),
    errorCode: operation.errorCode,
    error: operation.error,
    requestedAt: operation.requestedAt,
    startedAt: operation.startedAt,
    finishedAt: operation.finishedAt,
    durationMs: operation.startedAt && operation.finishedAt ? operation.finishedAt.getTime() - operation.startedAt.getTime() : null,
    confirmedByRefreshId: operation.confirmedByRefreshId,
  };
}

export function presentBatch(batch: BatchOfOperations) {
  return {
    id: batch.batchId,
    status: 'queued',
    operations: batch.operations.map(presentOperation),
    skipped: batch.skipped,
  };
}
