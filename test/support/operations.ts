import { ExecuteOperation } from '@hybridforms/operations';
import { EventRepository } from '@hybridforms/persistence';
import type { TestApp } from './test-app.js';
import { refreshFromEvents } from './telemetry.js';

/**
 * Waits for every operation, then for the refreshes they asked for: the targets left while another
 * refresh ran are drained now (not after the coalescing delay), until none waits.
 */
export async function settleOperations(t: TestApp, providerIds: string[]): Promise<void> {
  await t.app.get(ExecuteOperation).idle();
  for (const providerId of providerIds) {
    do await refreshFromEvents(t, providerId);
    while ((await t.app.get(EventRepository).refreshTargets(providerId)).nativeIds.length > 0);
  }
}
