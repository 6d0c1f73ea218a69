import type { AzureSimulator } from '@hybridforms/testing';

/** The body of `POST /api/v1/providers` that registers a simulated Azure tenant. */
export function azureProviderRequest(sim: AzureSimulator, name: string) {
  return {
    name,
    type: 'azure',
    config: {
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      subscriptionIds: sim.subscriptionIds,
      resourceManagerUrl: sim.url,
      authorityHost: sim.url,
      caCertificate: sim.caCertificate,
    },
    credentials: { clientSecret: sim.clientSecret },
  };
}
