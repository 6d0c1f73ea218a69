import type { SimPowerState, SimVmSpec } from './azure-simulator.types.js';

/** Every stored resource: `seq` orders lists (and cursors), `key` is the lower-cased id. */
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
  /** The owning VM's id as Compute writes it (resource-group casing may differ from the VM's own id). */
  managedBy: string | null;
  diskState: 'Attached' | 'Reserved' | 'Unattached';
  createOption: 'FromImage' | 'Empty' | 'Copy';
  /** creationData.imageReference.id (platform image path or gallery image). */
  imageId?: string;
  timeCreated: string;
  uniqueId: string;
  zone?: string;
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
  ipConfigurationId: string | null;
  domainNameLabel?: string;
  resourceGuid: string;
  zone?: string;
}

export interface SimNic extends SimRecord {
  id: string;
  name: string;
  location: string;
  macAddress: string;
  privateIp: string;
  subnetId: string;
  nsgId?: string;
  acceleratedNetworking: boolean;
  /** The back-link as Network writes it. */
  virtualMachineId: string | null;
  publicIp: SimPublicIp | null;
  resourceGuid: string;
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
  imageReference?: NonNullable<SimVmSpec['imageReference']>;
  plan: { name: string; publisher: string; product: string } | null;
  licenseType: string | null;
  powerState: SimPowerState;
  guest: SimGuestReport;
  /** Deallocation erases what the guest reported (Azure shows null) until it runs again. */
  guestForgotten: boolean;
  tags?: Record<string, string>;
  timeCreated: string;
  computerName: string;
  adminUsername: string;
  hyperVGeneration: 'V1' | 'V2';
  zones?: string[];
  nics: SimNic[];
  /** networkProfile references, as Compute writes them. */
  nicRefIds: string[];
  osDisk: SimDisk;
  osDiskRefId: string;
  dataDisks: SimDisk[];
  dataDiskRefIds: string[];
}
