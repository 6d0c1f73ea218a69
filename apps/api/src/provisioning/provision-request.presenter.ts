import { maskSensitiveFields } from '@hybridforms/core';
import type { OperationEntity, ProvisionRequestEntity } from '@hybridforms/persistence';
import { presentOperation } from '../operations/operation.presenter.js';

/**
 * A provision request as the API shows it. The admin's SSH public key is public by nature; the
 * cloud-init user data may carry secrets (a registration key, a password hash): it is stored
 * sealed and shown only by its size and digest, so a requester can tell which they sent.
 */
export function presentProvisionRequest(request: ProvisionRequestEntity, tasks?: OperationEntity[]) {
  const { taskIds: _taskIds, userData, userDataBytes, userDataSha256, postProvision, ...spec } = request.spec as Record<string, unknown> & {
    taskIds?: unknown;
    userData?: unknown;
    userDataBytes?: number | null;
    userDataSha256?: string | null;
    postProvision?: { extraVars?: unknown } | null;
  };
  return {
    id: request.id,
    status: request.status,
    providerId: request.providerId,
    source: request.source,
    count: request.count,
    names: request.names,
    vcpus: request.vcpus,
    ...spec,
    userData: userData ? { bytes: userDataBytes ?? null, sha256: userDataSha256 ?? null } : null,
    // Secret-like extra vars are stored sealed and shown as ***, as a playbook run's are.
    postProvision: postProvision ? { ...postProvision, extraVars: maskSensitiveFields(postProvision.extraVars ?? {}) } : null,
    requestedBy: request.requestedBy,
    decidedBy: request.decidedBy,
    reason: request.reason,
    requestedAt: request.requestedAt,
    decidedAt: request.decidedAt,
    finishedAt: request.finishedAt,
    ...(tasks ? { tasks: tasks.map(presentOperation) } : {}),
  };
}
