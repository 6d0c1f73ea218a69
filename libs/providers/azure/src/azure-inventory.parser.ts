import type { Disk, ImageReference, VirtualMachine, VirtualMachineInstanceView, VirtualMachineSize } from '@azure/arm-compute';
import type { NetworkInterface, PublicIPAddress } from '@azure/arm-network';
import type { ResourceGroup } from '@azure/arm-resources';
import type { DiskRecord, ImageRecord, NetworkRecord, NicRecord, PowerState, ResourceGroupRecord, VmRecord } from '@hybridforms/core';
import { classifyAzureVm, classifyImage } from './rhel-classification.js';

const POWER_STATE_CODES: Record<string, PowerState> = {
  starting: 'starting',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
  deallocating: 'deallocating',
  deallocated: 'deallocated',
};

/*
 * The records of ARM's resources, as the stream parser (azure-inventory.stream-parser.ts) builds
 * them. Pure: no I/O, no clock. Every native id is the lower-cased ARM resource id, and every join
 * (VM ↔ instance view, VM ↔ NIC ↔ public IP, VM ↔ disk) compares ids case-insensitively because
 * ARM varies the casing of resource groups.
 */

export function vmRecord(
  vm: VirtualMachine & { id: string },
  instanceView: VirtualMachineInstanceView | undefined,
  imageNativeId: string | null,
  subscriptionId: string,
  sizes: SizeIndex,
): VmRecord {
  const classification = classifyAzureVm({
    guestOsName: instanceView?.osName,
    guestOsVersion: instanceView?.osVersion,
    imageReference: vm.storageProfile?.imageReference,
    plan: vm.plan,
    osDiskType: vm.storageProfile?.osDisk?.osType,
    licenseType: vm.licenseType,
  });
  const sizeName = vm.hardwareProfile?.vmSize ?? null;
  const size = sizeName ? sizes(vm.location, sizeName) : undefined;
  return {
    nativeId: key(vm.id),
    uid: vm.vmId ?? null,
    name: vm.name ?? lastSegment(vm.id),
    hostNativeId: null,
    imageNativeId,
    location: vm.location ?? null,
    resourceGroup: resourceGroupOf(vm.id),
    subscriptionId: subscriptionId.toLowerCase(),
    size: sizeName,
    cpuCount: size?.numberOfCores ?? null,
    memoryMb: size?.memoryInMB ?? null,
    powerState: powerStateOf(instanceView),
    osFamily: classification.osFamily,
    osName: classification.osName,
    osVersion: classification.osVersion,
    osSource: classification.osSource,
    rhelLicenseModel: classification.rhelLicenseModel,
    licenseType: classification.licenseType,
    guestAgentVersion: agentVersionOf(instanceView),
    tags: { ...(vm.tags ?? {}) },
    details: {
      zones: vm.zones ?? [],
      priority: vm.priority ?? null,
      securityType: vm.securityProfile?.securityType ?? null,
    },
    createdAtProvider: toDate(vm.timeCreated),
  };
}

/** The status whose code starts with PowerState/ (never by index: the order is not fixed). */
export function powerStateOf(instanceView: VirtualMachineInstanceView | undefined): PowerState {
  const status = instanceView?.statuses?.find((s) => typeof s.code === 'string' && /^powerstate\//i.test(s.code));
  if (!status?.code) return 'unknown';
  return POWER_STATE_CODES[status.code.slice('PowerState/'.length).toLowerCase()] ?? 'unknown';
}

function agentVersionOf(instanceView: VirtualMachineInstanceView | undefined): string | null {
  const version = instanceView?.vmAgent?.vmAgentVersion?.trim();
  // ARM says "Unknown" until the agent has reported.
  return version && version.toLowerCase() !== 'unknown' ? version : null;
}

export function imageRecordOf(reference: ImageReference | undefined, plan: VirtualMachine['plan']): ImageRecord | null {
  if (!reference) return null;
  const os = classifyImage(reference, plan);
  if (reference.publisher && reference.offer && reference.sku) {
    const version = reference.version?.toLowerCase() === 'latest' && reference.exactVersion ? reference.exactVersion : (reference.version ?? 'latest');
    return {
      nativeId: ['marketplace', reference.publisher, reference.offer, reference.sku, version].join(':').toLowerCase(),
      name: `${reference.publisher}:${reference.offer}:${reference.sku}:${version}`,
      kind: 'marketplace',
      publisher: reference.publisher,
      offer: reference.offer,
      sku: reference.sku,
      version,
      ...os,
    };
  }
  const customId = reference.id ?? reference.sharedGalleryImageId ?? reference.communityGalleryImageId;
  if (!customId) return null;
  return {
    nativeId: key(customId),
    name: customImageName(customId),
    kind: 'custom',
    publisher: null,
    offer: null,
    sku: null,
    version: null,
    // A custom image says nothing of its OS by itself, unless it carries a marketplace plan.
    ...os,
  };
}

export function nicRecord(
  nic: NetworkInterface & { id: string },
  owner: { vmId: string; primary: boolean | undefined; only: boolean } | undefined,
  vmIds: VmIdSet,
  publicIps: Map<string, PublicIPAddress> | ((id: string) => string | undefined),
): NicRecord {
  const addressOf = typeof publicIps === 'function' ? publicIps : (id: string) => publicIps.get(id)?.ipAddress;
  const backLink = nic.virtualMachine?.id ? key(nic.virtualMachine.id) : null;
  const vmNativeId = owner?.vmId ?? (backLink && vmIds.has(backLink) ? backLink : null);
  const configurations = nic.ipConfigurations ?? [];
  const privateIps = configurations.map((c) => c.privateIPAddress).filter(isNonEmpty);
  // A Dynamic public IP has no address until it is allocated: nothing to record then.
  const publicIpAddresses = configurations
    .map((c) => (c.publicIPAddress?.id ? addressOf(key(c.publicIPAddress.id)) : undefined))
    .filter(isNonEmpty);
  const subnetId = primaryIpConfiguration(nic)?.subnet?.id;
  return {
    nativeId: key(nic.id),
    vmNativeId,
    name: nic.name ?? lastSegment(nic.id),
    macAddress: nic.macAddress ?? null,
    primary: nic.primary ?? owner?.primary ?? owner?.only ?? false,
    privateIps,
    publicIps: publicIpAddresses,
    networkNativeId: subnetId ? key(subnetId) : null,
  };
}

function primaryIpConfiguration(nic: NetworkInterface): NonNullable<NetworkInterface['ipConfigurations']>[number] | undefined {
  const configurations = nic.ipConfigurations ?? [];
  return configurations.find((c) => c.primary) ?? configurations[0];
}

export function subnetRecord(subnetId: string, location: string | undefined): NetworkRecord {
  const segments = subnetId.split('/');
  const vnetIndex = segments.findIndex((s) => s.toLowerCase() === 'virtualnetworks');
  const vnet = vnetIndex >= 0 ? segments[vnetIndex + 1] : undefined;
  const subnet = lastSegment(subnetId);
  return { nativeId: key(subnetId), name: vnet ? `${vnet}/${subnet}` : subnet, kind: 'subnet', location: location ?? null };
}

/** The VMs of the subscription, asked by native id (a Set, or the stream parser's compact index). */
export type VmIdSet = Pick<ReadonlySet<string>, 'has'>;

export function diskRecord(disk: Disk & { id: string }, owner: { vmId: string; role: 'os' | 'data' } | undefined, vmIds: VmIdSet): DiskRecord {
  const managedBy = disk.managedBy ? key(disk.managedBy) : null;
  return {
    nativeId: key(disk.id),
    vmNativeId: owner?.vmId ?? (managedBy && vmIds.has(managedBy) ? managedBy : null),
    name: disk.name ?? lastSegment(disk.id),
    role: owner?.role ?? (disk.osType ? 'os' : 'data'),
    sizeGb: disk.diskSizeGB ?? null,
    storageType: disk.sku?.name ?? null,
    location: disk.location ?? null,
  };
}

export function disksFromVm(vm: VirtualMachine & { id: string }): DiskRecord[] {
  const records: DiskRecord[] = [];
  const profile = vm.storageProfile;
  const add = (
    role: 'os' | 'data',
    disk: { name?: string; diskSizeGB?: number; managedDisk?: { id?: string; storageAccountType?: string }; vhd?: { uri?: string } },
  ) => {
    // Unmanaged disks (a VHD in a storage account) have no resource id: the blob URI is theirs.
    const id = disk.managedDisk?.id ?? disk.vhd?.uri;
    if (!id) return;
    records.push({
      nativeId: key(id),
      vmNativeId: key(vm.id),
      name: disk.name ?? lastSegment(id),
      role,
      sizeGb: disk.diskSizeGB ?? null,
      storageType: disk.managedDisk?.storageAccountType ?? null,
      location: vm.location ?? null,
    });
  };
  if (profile?.osDisk) add('os', profile.osDisk);
  for (const dataDisk of profile?.dataDisks ?? []) add('data', dataDisk);
  return records;
}

export function resourceGroupRecord(group: ResourceGroup & { id: string }): ResourceGroupRecord {
  return { nativeId: key(group.id), name: group.name ?? lastSegment(group.id), location: group.location ?? null, tags: { ...(group.tags ?? {}) } };
}

export type SizeIndex = (location: string | undefined, sizeName: string) => VirtualMachineSize | undefined;

/** `West Europe` and `westeurope` are the same location. */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

/** The resource group of a resource id, lower-cased. */
export function resourceGroupOf(resourceId: string): string | null {
  const match = /\/resourcegroups\/([^/]+)/i.exec(resourceId);
  return match ? match[1].toLowerCase() : null;
}

function customImageName(id: string): string {
  // Gallery image versions read better as image/version than as the version alone.
  const match = /\/images\/([^/]+)\/versions\/([^/]+)$/i.exec(id);
  return match ? `${match[1]}/${match[2]}` : lastSegment(id);
}

function toDate(value: Date | string | undefined): Date | null {
  if (!value) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function hasId<T extends { id?: string }>(item: T): item is T & { id: string } {
  return typeof item?.id === 'string' && item.id.length > 0;
}

export function isNonEmpty(value: string | undefined | null): value is string {
  return typeof value === 'string' && value.length > 0;
}

export function key(id: string): string {
  return nativeIdOf(id);
}

/** Our native id of an Azure resource: its ARM id, lower-cased (ARM ids are case-insensitive). */
export function nativeIdOf(resourceId: string): string {
  return resourceId.toLowerCase();
}

function lastSegment(id: string): string {
  const parts = id.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? id;
}
