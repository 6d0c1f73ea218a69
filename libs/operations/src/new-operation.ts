import { randomUUID } from 'node:crypto';
import type { OperationEntity, OperationKind, OperationStep, VmEntity } from '@hybridforms/persistence';

/** Who asked (the API token's name and id, or the scheduler). */
export interface Requester {
  name: string;
  tokenId: string | null;
}

/** A step not begun yet. */
export function pendingStep(name: string, target: OperationStep['target'] = null): OperationStep {
  return { name, status: 'pending', target, startedAt: null, finishedAt: null };
}

/** The record of a queued operation on a VM. */
export function newOperation(input: {
  kind: OperationKind;
  action: string;
  vm: Pick<VmEntity, 'id' | 'providerId' | 'name'>;
  steps: OperationStep[];
  requester: Requester;
  options?: Record<string, unknown>;
  batchId?: string | null;
}): OperationEntity {
  return {
    id: randomUUID(),
    kind: input.kind,
    action: input.action,
    vmId: input.vm.id,
    providerId: input.vm.providerId,
    vmName: input.vm.name,
    status: 'queued',
    options: input.options ?? {},
    requestedBy: input.requester.name,
    requestedByTokenId: input.requester.tokenId,
    batchId: input.batchId ?? null,
    provisionRequestId: null,
    steps: input.steps,
    errorCode: null,
    error: null,
    requestedAt: new Date(),
    startedAt: null,
    finishedAt: null,
    owner: null,
    confirmedByRefreshId: null,
  };
}

/** The 409 reason when a VM already has an operation in progress. */
export function busyReason(active: Pick<OperationEntity, 'id' | 'vmName' | 'action' | 'status'>): string {
  return `the VM ${active.vmName} has operation ${active.id} (${active.action}, ${active.status}) in progress`;
}
