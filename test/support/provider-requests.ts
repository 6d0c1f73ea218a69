import type { AzureSimulator, HyperVHostSimulator } from '@hybridforms/testing';

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
      metricsEndpoint: sim.metricsEndpointTemplate,
    },
    credentials: { clientSecret: sim.clientSecret },
  };
}

/** The body of `POST /api/v1/providers` that registers a simulated Hyper-V host (pinned key). */
export function hypervProviderRequest(host: HyperVHostSimulator, name: string) {
  return {
    name,
    type: 'hyperv',
    config: { username: host.username, hosts: [{ host: host.host, port: host.port, hostKeyFingerprint: host.hostKeyFingerprint }], commandTimeoutSeconds: 5 },
    credentials: { password: host.password },
  };
}
