import { createHash } from 'node:crypto';
import type { OperationEntity, ProvisionRequestEntity } from '@hybridforms/persistence';
import { presentOperation } from '../operations/operation.presenter.js';

/**
 * A provision request as the API shows it. The admin's SSH public key is public by nature; the
 * cloud-init user data may carry secrets (a registration key, a password hash) and is shown only
 * by its size and digest, so a requester can tell which they sent.
 */
export function presentProvisionRequest(request: ProvisionRequestEntity, tasks?: OperationEntity[]) {
  const { taskIds: _taskIds, userData, ...spec } = request.spec as Record<string, unknown> & { taskIds?: unknown; userData?: string | null };
  return {
    id: request.id,
    status: request.status,
    providerId: request.providerId,
    source: request.source,
    count: request.count,
    names: request.names,
    vcpus: request.vcpus,
    ...spec,
    userData: typeof userData === 'string' ? { bytes: Buffer.byteLength(userData), sha256: createHash('sha256').update(userData).digest('hex') } : null,
    requestedBy: request.requestedBy,
    decidedBy: request.decidedBy,
    reason: request.reason,
    requestedAt: request.requestedAt,
    decidedAt: request.decidedAt,
    finishedAt: request.finishedAt,
    ...(tasks ? { tasks: tasks.map(presentOperation) } : {}),
  };
}
