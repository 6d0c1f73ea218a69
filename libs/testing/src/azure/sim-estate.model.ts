import type { SimPowerState, SimVmSpec } from './azure-simulator.types.js';

/** Every stored resource: `seq` orders lists (and cursors), `key` is the lower-cased id. */
export type SimImageReference = NonNullable<SimVmSpec['imageReference']>;

/** What deleting a VM does to a disk or NIC it has (ARM's `deleteOption`; the API's default is Detach). */
export type SimDeleteOption = 'Delete' | 'Detach';

export interface SimRecord {
  seq: number;
  key: string;
}

export interface SimResourceGroup extends SimRecord {
  subscriptionId: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
}

export interface SimDisk extends SimRecord {
  id: string;
  name: string;
  location: string;
  sizeGB: number;
  skuName: string;
  osType?: 'Linux' | 'Windows';
  hyperVGeneration?: 'V1' | 'V2';
  /** The VM it is attached to (managedBy), or null when unattached. */
  owner: SimVm | null;
  /** While attached: whether deleting the VM deletes the disk too. */
  deleteOption: SimDeleteOption;
  diskState: 'Attached' | 'Reserved' | 'Unattached';
  createOption: 'FromImage' | 'Empty' | 'Copy';
  /** The image an OS disk was created from (creationData). */
  image?: SimImageReference;
  timeCreated: string;
  uniqueId: string;
  zone?: string;
}

/** A managed image (Microsoft.Compute/images): what custom-image VMs are made from. */
export interface SimManagedImage {
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  location: string;
  osType: 'Linux' | 'Windows';
  hyperVGeneration: 'V1' | 'V2';
  /** The VM it was captured from, when known. */
  sourceVmId: string | null;
}

export interface SimPublicIp extends SimRecord {
  id: string;
  name: string;
  location: string;
  skuName: 'Basic' | 'Standard';
  allocation: 'Static' | 'Dynamic';
  /** The address Azure holds while allocated; a Dynamic one is released on deallocation. */
  address: string;
  allocated: boolean;
  /** The NIC whose ipconfig holds the address, or null when unassociated. */
  nic: SimNic | null;
  domainNameLabel?: string;
  resourceGuid: string;
  zone?: string;
  provisioningState?: 'Updating' | 'Succeeded';
  tags?: Record<string, string>;
  createBody?: string;
}

export interface SimNic extends SimRecord {
  id: string;
  name: string;
  location: string;
  macAddress: string;
  privateIp: string;
  /** The subnet and NSG sit in the NIC's resource group. */
  nsgName?: string;
  acceleratedNetworking: boolean;
  vm: SimVm | null;
  /** While attached: whether deleting the VM deletes the NIC too (its public IP stays, unassociated). */
  deleteOption: SimDeleteOption;
  publicIp: SimPublicIp | null;
  resourceGuid: string;
  /** A created NIC: 'Updating' until its PUT's operation settles (Network has no 'Creating'). */
  provisioningState?: 'Updating' | 'Succeeded';
  /** The subnet a created NIC's ipconfig names; generated NICs sit in `<rg>-vnet/default`. */
  subnetId?: string;
  ipConfigName?: string;
  tags?: Record<string, string>;
  /** The canonical PUT body a created NIC came from (a second PUT with the same body changes nothing). */
  createBody?: string;
}

/** What the guest agent would report if the VM were running. */
export interface SimGuestReport {
  osName: string | null;
  osVersion: string | null;
  agentVersion: string | null;
}

export interface SimVm extends SimRecord {
  subscriptionId: string;
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  vmId: string;
  vmSize: string;
  osType: 'Linux' | 'Windows';
  imageReference?: SimImageReference;
  plan: { name: string; publisher: string; product: string } | null;
  licenseType: string | null;
  powerState: SimPowerState;
  guest: SimGuestReport;
  /** Deallocation erases what the guest reported (Azure shows null) until it runs again. */
  guestForgotten: boolean;
  /** Set while a DELETE is in progress (ARM shows provisioningState 'Deleting'); otherwise Succeeded. */
  deleting?: boolean;
  tags?: Record<string, string>;
  timeCreated: string;
  computerName: string;
  adminUsername: string;
  hyperVGeneration: 'V1' | 'V2';
  zones?: string[];
  /**
   * Whether the references around this VM (networkProfile, managedDisk ids, managedBy, the NIC
   * and public IP back-links) upper-case the resource group, as Compute and Network often do.
   */
  upperRefs: boolean;
  nics: SimNic[];
  osDisk: SimDisk;
  dataDisks: SimDisk[];
  /** A VM created by a PUT: Creating until its operation settles, then Succeeded or Failed. Absent = Succeeded. */
  provisioningState?: 'Creating' | 'Succeeded' | 'Failed';
  /** Why a create failed (the instance view shows `ProvisioningState/failed/<code>`). */
  provisioningError?: { code: string; message: string };
  /** What the guest agent of a created VM reports once it has booted (the create settled). */
  bootGuest?: SimGuestReport;
  /** The osProfile of a created VM as it was given. */
  sshPublicKeys?: { path: string; keyData: string }[];
  disablePasswordAuthentication?: boolean;
  createBody?: string;
}
