import type { DiskEntity, HostEntity, ImageEntity, NetworkEntity, NicEntity, VmChangeEntity, VmEntity, VmListRow } from '@hybridforms/persistence';

/** A VM's fields, from its entity (`GET /vms/:id`) or a list row (`GET /vms`: timestamps already ISO text, the same JSON). */
export function presentVm(vm: Omit<VmEntity, 'details'> | VmListRow) {
  return {
    id: vm.id,
    providerId: vm.providerId,
    nativeId: vm.nativeId,
    uid: vm.uid,
    name: vm.name,
    powerState: vm.powerState,
    osFamily: vm.osFamily,
    osName: vm.osName,
    osVersion: vm.osVersion,
    osSource: vm.osSource,
    licenseModel: vm.licenseModel,
    licenseType: vm.licenseType,
    guestAgentVersion: vm.guestAgentVersion,
    location: vm.location,
    resourceGroup: vm.resourceGroup,
    subscriptionId: vm.subscriptionId,
    size: vm.size,
    cpuCount: vm.cpuCount,
    memoryMb: vm.memoryMb,
    ipAddresses: vm.ipAddresses,
    tags: vm.tags,
    hostId: vm.hostId,
    imageId: vm.imageId,
    createdAtProvider: vm.createdAtProvider,
    archivedAt: vm.archivedAt,
    archiveReason: vm.archiveReason ?? null,
    createdAt: vm.createdAt,
    updatedAt: vm.updatedAt,
  };
}

export function presentNic(nic: NicEntity) {
  return {
    id: nic.id,
    nativeId: nic.nativeId,
    name: nic.name,
    macAddress: nic.macAddress,
    primary: nic.primary,
    privateIps: nic.privateIps,
    publicIps: nic.publicIps,
    networkId: nic.networkId,
    archivedAt: nic.archivedAt,
  };
}

export function presentDisk(disk: DiskEntity) {
  return {
    id: disk.id,
    nativeId: disk.nativeId,
    name: disk.name,
    role: disk.role,
    sizeGb: disk.sizeGb,
    storageType: disk.storageType,
    location: disk.location,
    archivedAt: disk.archivedAt,
  };
}

export function presentHost(host: HostEntity) {
  const { id, providerId, nativeId, name, kind, osName, osVersion, cpuCount, memoryMb, hypervisorVersion, location, archivedAt, createdAt, updatedAt } = host;
  return { id, providerId, nativeId, name, kind, osName, osVersion, cpuCount, memoryMb, hypervisorVersion, location, archivedAt, createdAt, updatedAt };
}

export function presentImage(image: ImageEntity) {
  const { id, providerId, nativeId, name, kind, publisher, offer, sku, version, osFamily, osName, osVersion, archivedAt, createdAt, updatedAt } = image;
  return { id, providerId, nativeId, name, kind, publisher, offer, sku, version, osFamily, osName, osVersion, archivedAt, createdAt, updatedAt };
}

export function presentNetwork(network: NetworkEntity) {
  const { id, providerId, nativeId, name, kind, location, archivedAt, createdAt, updatedAt } = network;
  return { id, providerId, nativeId, name, kind, location, archivedAt, createdAt, updatedAt };
}

export function presentChange(change: VmChangeEntity) {
  return { id: change.id, field: change.field, from: change.fromValue, to: change.toValue, changedAt: change.changedAt, refreshId: change.refreshId, operationId: change.operationId ?? null };
}
