import type { ProvisionRequestEntity } from '@hybridforms/persistence';

/** A provision request as the API shows it (the admin's SSH public key is public by nature; no secret is stored in a request). */
export function presentProvisionRequest(request: ProvisionRequestEntity) {
  const { taskIds: _taskIds, ...spec } = request.spec as Record<string, unknown> & { taskIds?: unknown };
  return {
    id: request.id,
    status: request.status,
    providerId: request.providerId,
    source: request.source,
    count: request.count,
    names: request.names,
    vcpus: request.vcpus,
    ...spec,
    requestedBy: request.requestedBy,
    decidedBy: request.decidedBy,
    reason: request.reason,
    requestedAt: request.requestedAt,
    decidedAt: request.decidedAt,
    finishedAt: request.finishedAt,
  };
}
