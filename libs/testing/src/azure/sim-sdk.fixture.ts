import { ComputeManagementClient, type VirtualMachine, type VirtualMachineInstanceView } from '@azure/arm-compute';
import { ClientSecretCredential } from '@azure/identity';
import type { AzureSimulator } from './azure-simulator.js';

// How the real SDK is pointed at the simulator, for the suites that drive it (not exported by the lib).

export function credential(sim: AzureSimulator, secret = sim.clientSecret, clientId = sim.clientId): ClientSecretCredential {
  return new ClientSecretCredential(sim.tenantId, clientId, secret, {
    authorityHost: sim.url,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: sim.caCertificate },
  });
}

export function clientOptions(sim: AzureSimulator, maxRetries?: number) {
  return {
    endpoint: sim.url,
    tlsOptions: { ca: sim.caCertificate },
    ...(maxRetries === undefined ? {} : { retryOptions: { maxRetries } }),
  };
}

export function compute(sim: AzureSimulator, maxRetries?: number, cred = credential(sim)): ComputeManagementClient {
  return new ComputeManagementClient(cred, sim.subscriptionIds[0], clientOptions(sim, maxRetries));
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** The `PowerState/…` code of a VM (with its instance view) or of an instance view. */
export function powerState(vm: VirtualMachine | VirtualMachineInstanceView): string | undefined {
  const statuses = 'statuses' in vm ? vm.statuses : (vm as VirtualMachine).instanceView?.statuses;
  return statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code;
}
