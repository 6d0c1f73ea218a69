import { mapSealed, type ProvisionSource, type ProvisionSpec, type ProvisionStepPlan, type SecretBox } from '@hybridforms/core';
import type { OperationEntity, OperationStep, ProvisionRequestEntity } from '@hybridforms/persistence';
import { pendingStep } from '@hybridforms/operations';

/**
 * The steps a task runs besides the plugin's own:
 * - `refresh`: a targeted refresh of the VM made, then waits for it to be in the inventory, and links it;
 * - `retirement`: sets the retirement date the request asked for;
 * - `postProvision`: waits for SSH, then runs the request's playbook on the VM;
 * - `cancel`: the marker of a cancel that reached the task (cleanup follows);
 * - `fail`: the marker of a failure between steps (none was running);
 * - `cleanup`: deletes one thing the task made (last made first), after a failure or a cancel.
 */
export const HOST_STEPS = ['refresh', 'retirement', 'postProvision', 'cancel', 'fail', 'cleanup'] as const;

/** What the tasks read back of a request's stored spec. */
export interface StoredProvisionSpec {
  size: ProvisionSpec['size'];
  placement: ProvisionSpec['placement'];
  admin: ProvisionSpec['admin'];
  /** Sealed (`{ "$sealed": … }`); its size and digest are kept beside it for the API. */
  userData: unknown;
  userDataBytes: number | null;
  userDataSha256: string | null;
  tags: Record<string, string>;
  licenseModel: ProvisionSpec['licenseModel'];
  retiresAt: string | null;
  postProvision: { playbook: string; credentialId: string; extraVars?: Record<string, unknown> } | null;
  keepOnFailure: boolean;
  taskIds: string[];
}

export function storedSpecOf(request: ProvisionRequestEntity): StoredProvisionSpec {
  return request.spec as unknown as StoredProvisionSpec;
}

/**
 * The spec of the request's `index`th VM, as the plugin was given it when the request was checked
 * (the user data opened only with `box`; without it, left out: the steps' plan does not need it).
 */
export function specOfTask(request: ProvisionRequestEntity, index: number, box?: SecretBox): ProvisionSpec {
  const stored = storedSpecOf(request);
  const userData = stored.userData && box ? (mapSealed(stored.userData, (sealed) => box.open(sealed)) as string) : null;
  return {
    requestId: request.id,
    taskId: stored.taskIds[index]!,
    name: request.names[index]!,
    source: request.source as unknown as ProvisionSource,
    size: stored.size,
    placement: stored.placement,
    admin: stored.admin,
    userData,
    tags: stored.tags,
    licenseModel: stored.licenseModel,
  };
}

/** The stored task of one VM: the plugin's steps (with what each makes), then the host's. */
export function newProvisionTask(request: ProvisionRequestEntity, index: number, plan: ProvisionStepPlan[], now: Date): OperationEntity {
  const stored = storedSpecOf(request);
  const steps: OperationStep[] = [
    ...plan.map((step) => pendingStep(step.name, step.creates)),
    pendingStep('refresh'),
    ...(stored.retiresAt ? [pendingStep('retirement')] : []),
    ...(stored.postProvision ? [pendingStep('postProvision')] : []),
  ];
  return {
    id: stored.taskIds[index]!,
    kind: 'vm-provision',
    action: 'provision',
    vmId: null,
    providerId: request.providerId,
    vmName: request.names[index]!,
    status: 'queued',
    options: { index },
    requestedBy: request.requestedBy,
    requestedByTokenId: request.requestedByTokenId,
    batchId: null,
    provisionRequestId: request.id,
    steps,
    errorCode: null,
    error: null,
    // A millisecond apart: the tasks list in the request's order.
    requestedAt: new Date(now.getTime() + index),
    startedAt: null,
    finishedAt: null,
    owner: null,
    confirmedByRefreshId: null,
  };
}

/** How the task's last try ended, when it did not succeed: a failed step (with its error code), or a cancel marker. */
export function endingOf(steps: OperationStep[]): { status: 'failed' | 'canceled'; message: string; errorCode: string | null } | null {
  const cancel = steps.find((step) => step.name === 'cancel');
  if (cancel) return { status: 'canceled', message: cancel.detail ?? 'canceled', errorCode: null };
  const failed = steps.find((step) => step.status === 'failed' && step.name !== 'cleanup');
  return failed ? { status: 'failed', message: failed.detail ?? `step ${failed.name} failed`, errorCode: failed.errorCode ?? 'internal' } : null;
}

/** The VM the task's steps made (its `vm` step's target, with the native id the cloud gave it), if one did. */
export function madeVmOf(steps: OperationStep[]): OperationStep['target'] {
  return steps.find((step) => step.target?.kind === 'vm')?.target ?? null;
}
