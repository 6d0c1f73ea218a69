import type { RefreshEntity } from '@hybridforms/persistence';

export function presentRefresh(refresh: RefreshEntity) {
  return {
    id: refresh.id,
    providerId: refresh.providerId,
    kind: refresh.kind,
    targets: refresh.targets,
    trigger: refresh.trigger,
    status: refresh.status,
    progress: refresh.progress,
    errors: refresh.errors,
    requestedAt: refresh.requestedAt,
    startedAt: refresh.startedAt,
    finishedAt: refresh.finishedAt,
  };
}
