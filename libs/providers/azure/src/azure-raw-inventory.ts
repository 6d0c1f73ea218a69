import type { Disk, VirtualMachine, VirtualMachineSize } from '@azure/arm-compute';
import type { NetworkInterface, PublicIPAddress } from '@azure/arm-network';
import type { ResourceGroup } from '@azure/arm-resources';

/** The sizes ARM offers in one location (cores and memory per size name). */
export interface AzureLocationSizes {
  location: string;
  sizes: VirtualMachineSize[];
}

/**
 * What the collector read from one subscription, exactly as the SDKs return it (flattened:
 * `vm.storageProfile`, `vm.instanceView`, `nic.ipConfigurations[].privateIPAddress`): a targeted
 * refresh's single GETs, which parseSubscriptionPages feeds to the stream parser as one page per
 * list; it is also the shape of the recorded fixtures.
 */
export interface AzureSubscriptionInventory {
  subscriptionId: string;
  /** Full refresh: `virtualMachines.listAll()`. Targeted: GET with `$expand=instanceView`. */
  virtualMachines: VirtualMachine[];
  /** `virtualMachines.listAll({statusOnly:'true'})`; empty when the VMs carry their instanceView. */
  vmStatuses: VirtualMachine[];
  networkInterfaces: NetworkInterface[];
  publicIPAddresses: PublicIPAddress[];
  disks: Disk[];
  /** Empty for a targeted refresh (resource groups are only listed by a full one). */
  resourceGroups: ResourceGroup[];
  vmSizes: AzureLocationSizes[];
}
