import type { EventEntity } from '@hybridforms/persistence';

export function presentEvent(event: EventEntity, options: { raw?: boolean } = {}) {
  return {
    id: event.id,
    providerId: event.providerId,
    nativeId: event.nativeId,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    type: event.type,
    vmId: event.vmId,
    vmNativeId: event.vmNativeId,
    vmName: event.vmName,
    status: event.status,
    actor: event.actor,
    message: event.message,
    // The provider's record can be large: on the detail route only.
    ...(options.raw ? { raw: event.raw } : {}),
  };
}
