import type { ProviderContext, ProviderLogger } from '@hybridforms/core';
import type { AzureSimulator } from '@hybridforms/testing';
import type { AzureCredentials, AzureProviderConfig } from '../azure-provider.config.js';

export const quietLogger: ProviderLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };

/** The plugin's context for a simulated tenant (every subscription, its CA, no Retry-After floor), with overrides. */
export function simContext(sim: AzureSimulator, overrides: Partial<AzureProviderConfig> = {}, signal?: AbortSignal): ProviderContext<AzureProviderConfig, AzureCredentials> {
  return {
    providerId: 'it',
    config: {
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      subscriptionIds: sim.subscriptionIds,
      resourceManagerUrl: sim.url,
      authorityHost: sim.url,
      caCertificate: sim.caCertificate,
      defaultRetryAfterSeconds: 0,
      ...overrides,
    },
    credentials: { clientSecret: sim.clientSecret },
    logger: quietLogger,
    ...(signal ? { signal } : {}),
  };
}
