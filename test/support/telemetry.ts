import { RefreshService, TargetedRefreshQueue } from '@hybridforms/discovery';
import type { TestApp } from './test-app.js';

/**
 * Schedules pushed out of the way: a suite drives event polls and metric captures itself, so
 * every count it asserts is exact. Events coalesce for one second before their refresh.
 */
export const QUIET_TELEMETRY = {
  HYBRIDFORMS_EVENT_POLL_SECONDS: '3600',
  HYBRIDFORMS_METRIC_CAPTURE_SECONDS: '3600',
  HYBRIDFORMS_METRIC_ROLLUP_SECONDS: '3600',
  HYBRIDFORMS_EVENT_REFRESH_COALESCE_SECONDS: '1',
};

/** Takes a provider's waiting refresh targets now (not after the coalescing delay) and waits for the refresh. */
export async function refreshFromEvents(t: TestApp, providerId: string): Promise<string | null> {
  const id = await t.app.get(TargetedRefreshQueue).drain(providerId);
  await t.app.get(RefreshService).idle();
  return id;
}
