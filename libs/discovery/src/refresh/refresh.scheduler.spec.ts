import { loadAppConfig } from '@hybridforms/core';
import type { ProviderEntity, ProviderRepository } from '@hybridforms/persistence';
import { RefreshScheduler } from './refresh.scheduler.js';
import type { RefreshRunner } from './refresh.runner.js';
import type { RefreshService } from './refresh.service.js';

describe('RefreshScheduler.isDue', () => {
  const config = loadAppConfig({ HYBRIDFORMS_REFRESH_INTERVAL_SECONDS: '900' });
  const scheduler = new RefreshScheduler({} as ProviderRepository, {} as RefreshService, {} as RefreshRunner, config);
  const now = new Date('2026-11-25T12:00:00Z');
  const provider = (lastFullRefreshAt: Date | null, refreshIntervalSeconds: number | null) =>
    ({ lastFullRefreshAt, refreshIntervalSeconds }) as ProviderEntity;

  it('is due when it was never refreshed', () => {
    expect(scheduler.isDue(provider(null, null), now)).toBe(true);
  });

  it('follows the configured default interval', () => {
    expect(scheduler.isDue(provider(new Date(now.getTime() - 899_000), null), now)).toBe(false);
    expect(scheduler.isDue(provider(new Date(now.getTime() - 900_000), null), now)).toBe(true);
  });

  it('lets a provider override the interval', () => {
    expect(scheduler.isDue(provider(new Date(now.getTime() - 120_000), 60), now)).toBe(true);
    expect(scheduler.isDue(provider(new Date(now.getTime() - 120_000), 3600), now)).toBe(false);
  });
});
