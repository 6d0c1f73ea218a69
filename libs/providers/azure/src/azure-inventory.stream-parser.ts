import { createHash } from 'node:crypto';
import type { Disk, VirtualMachine, VirtualMachineInstanceView, VirtualMachineSize } from '@azure/arm-compute';
import type { NetworkInterface, PublicIPAddress } from '@azure/arm-network';
import type { ResourceGroup } from '@azure/arm-resources';
import type { DiskRecord, ImageRecord, InventoryChunk, NetworkRecord, NicRecord } from '@hybridforms/core';
import {
  diskRecord,
  disksFromVm,
  hasId,
  imageRecordOf,
  isNonEmpty,
  key,
  nicRecord,
  normalizeLocation,
  resourceGroupRecord,
  subnetRecord,
  vmRecord,
  type VmIdSet,
} from './azure-inventory.parser.js';
import type { AzureSubscriptionInventory } from './azure-raw-inventory.js';

/** What a VM's NIC contributes to its addresses, read before the VMs (a first NIC pass). */
interface NicAddresses {
  primary: boolean | undefined;
  privateIps: string[];
  /** As {@link idKey}s. */
  publicIpIds: string[];
}

/**
 * The key of a resource id (any case) in the lookups: 16 bytes of its SHA-1, about 32 bytes in
 * V8 against about 150 for the id itself. Four subscriptions of 10,000 VMs hold some 250,000
 * of them at once; ids that records carry out are kept as the ids themselves, once per resource.
 */
function idKey(id: string): string {
  return createHash('sha1').update(key(id)).digest().subarray(0, 16).toString('latin1');
}

/** What a VM says of a disk, kept until the disk list has been read (its fallback record). */
type NamedDisk = DiskRecord & { vmNativeId: string };

/**
 * The parser of one subscription, the only one of ARM's inventory: a streamed full refresh feeds
 * it page by page as it lists, a targeted one (and the specs) through {@link parseSubscriptionPages}. Between pages it keeps only compact lookups, a few
 * short strings per resource: instance-view facts and addresses per VM, public IP addresses,
 * sizes per location, which VM owns each NIC and disk, and the native ids already emitted of
 * images and subnets. No SDK object outlives its page.
 *
 * Order of use: the lookups (statuses, public IPs, NIC addresses, sizes), then VM pages and
 * {@link vmsDone}, then NIC and disk pages, then {@link remainingDisks}.
 */
export class AzureSubscriptionStreamParser {
  // Resource ids key these by idKey, except namedDisks (the record's own native id) and the emitted sets.
  private readonly instanceViews = new Map<string, VirtualMachineInstanceView>();
  private readonly publicIps = new Map<string, string>();
  private readonly nicAddresses = new Map<string, NicAddresses>();
  /** The native ids of the NICs that name a VM, by the VM's key. */
  private readonly nicsByBackLink = new Map<string, string[]>();
  private readonly sizes = new Map<string, VirtualMachineSize>();
  private readonly sizesByName = new Map<string, VirtualMachineSize>();
  private readonly vmKeys = new Set<string>();
  private readonly vmIds: VmIdSet = { has: (id) => this.vmKeys.has(idKey(id)) };
  private readonly nicOwners = new Map<string, { vmId: string; primary: boolean | undefined; only: boolean }>();
  private readonly namedDisks = new Map<string, NamedDisk>();
  private readonly diskOwners = new Map<string, { vmId: string; role: 'os' | 'data' }>();
  private readonly listedDisks = new Set<string>();
  private readonly emittedImages = new Set<string>();
  private readonly emittedNetworks = new Set<string>();

  constructor(readonly subscriptionId: string) {}

  resourceGroups(page: ResourceGroup[]): InventoryChunk {
    return { resourceGroups: page.filter(hasId).map(resourceGroupRecord) };
  }

  /** A page of `listAll({statusOnly})`: only what the records use of each instance view. */
  addStatuses(page: VirtualMachine[]): void {
    for (const vm of page.filter(hasId)) {
      const view = vm.instanceView;
      if (!view) continue;
      const power = view.statuses?.find((s) => typeof s.code === 'string' && /^powerstate\//i.test(s.code));
      this.instanceViews.set(idKey(vm.id), {
        osName: view.osName,
        osVersion: view.osVersion,
        vmAgent: view.vmAgent?.vmAgentVersion !== undefined ? { vmAgentVersion: view.vmAgent.vmAgentVersion } : undefined,
        statuses: power ? [{ code: power.code }] : [],
      });
    }
  }

  addPublicIps(page: PublicIPAddress[]): void {
    for (const ip of page.filter(hasId)) if (isNonEmpty(ip.ipAddress)) this.publicIps.set(idKey(ip.id), ip.ipAddress);
  }

  /** A page of the first NIC pass: the addresses each NIC gives its VM. */
  addNicAddresses(page: NetworkInterface[]): void {
    for (const nic of page.filter(hasId)) {
      const configurations = nic.ipConfigurations ?? [];
      this.nicAddresses.set(idKey(nic.id), {
        primary: nic.primary,
        privateIps: configurations.map((c) => c.privateIPAddress).filter(isNonEmpty),
        publicIpIds: configurations.map((c) => c.publicIPAddress?.id).filter(isNonEmpty).map(idKey),
      });
      if (nic.virtualMachine?.id) {
        const vm = idKey(nic.virtualMachine.id);
        this.nicsByBackLink.set(vm, [...(this.nicsByBackLink.get(vm) ?? []), key(nic.id)]);
      }
    }
  }

  /** The locations of a VM page whose sizes are not known yet. */
  missingSizeLocations(page: VirtualMachine[]): string[] {
    const known = new Set([...this.sizes.keys()].map((k) => k.split('|')[0]));
    return [...new Set(page.map((vm) => vm.location).filter(isNonEmpty).map(normalizeLocation))].filter((l) => !known.has(l) && !this.noSizes.has(l));
  }

  private readonly noSizes = new Set<string>();

  addSizes(location: string, sizes: VirtualMachineSize[]): void {
    const normalized = normalizeLocation(location);
    if (sizes.length === 0) this.noSizes.add(normalized);
    for (const size of sizes) {
      if (!size.name) continue;
      this.sizes.set(`${normalized}|${size.name.toLowerCase()}`, size);
      if (!this.sizesByName.has(size.name.toLowerCase())) this.sizesByName.set(size.name.toLowerCase(), size);
    }
  }

  /** A page of VMs: their records (with their addresses) and the images first seen on it. */
  vms(page: VirtualMachine[]): InventoryChunk {
    const vms = page.filter(hasId);
    const images: ImageRecord[] = [];
    const sizeOf = (location: string | undefined, sizeName: string) =>
      this.sizes.get(`${normalizeLocation(location ?? '')}|${sizeName.toLowerCase()}`) ?? this.sizesByName.get(sizeName.toLowerCase());
    for (const vm of vms) {
      // One string per VM, shared by every NIC and disk that names it.
      const vmId = key(vm.id);
      this.vmKeys.add(idKey(vmId));
      const nicRefs = (vm.networkProfile?.networkInterfaces ?? []).filter(hasId);
      for (const ref of nicRefs) this.nicOwners.set(idKey(ref.id), { vmId, primary: ref.primary, only: nicRefs.length === 1 });
      const osDiskId = vm.storageProfile?.osDisk?.managedDisk?.id;
      if (osDiskId) this.diskOwners.set(idKey(osDiskId), { vmId, role: 'os' });
      for (const dataDisk of vm.storageProfile?.dataDisks ?? []) {
        if (dataDisk.managedDisk?.id) this.diskOwners.set(idKey(dataDisk.managedDisk.id), { vmId, role: 'data' });
      }
      for (const record of disksFromVm(vm)) if (!this.listedDisks.has(idKey(record.nativeId))) this.namedDisks.set(record.nativeId, { ...record, vmNativeId: vmId });
    }
    const records = vms.map((vm) => {
      const image = imageRecordOf(vm.storageProfile?.imageReference, vm.plan);
      if (image && !this.emittedImages.has(image.nativeId)) {
        this.emittedImages.add(image.nativeId);
        images.push(image);
      }
      const instanceView = this.instanceViews.get(idKey(vm.id)) ?? vm.instanceView;
      return { ...vmRecord(vm, instanceView, image?.nativeId ?? null, this.subscriptionId, sizeOf), ipAddresses: this.addressesOf(vm) };
    });
    return { images, vms: records };
  }

  /**
   * The VM's addresses as ipAddressesByVm would derive them from its NIC records: the NICs it
   * lists (or that name it and that it does not list), primary first, then by native id.
   */
  private addressesOf(vm: VirtualMachine & { id: string }): string[] {
    const vmId = key(vm.id);
    const refs = (vm.networkProfile?.networkInterfaces ?? []).filter(hasId);
    const listed = new Map(refs.map((ref) => [key(ref.id), { primary: ref.primary, only: refs.length === 1 }]));
    const ownedOrFree = (nicId: string) => {
      const owner = this.nicOwners.get(idKey(nicId));
      return !owner || owner.vmId === vmId;
    };
    const nicIds = [...new Set([...listed.keys(), ...(this.nicsByBackLink.get(idKey(vmId)) ?? []).filter(ownedOrFree)])];
    const nics = nicIds.flatMap((nicId) => {
      const addresses = this.nicAddresses.get(idKey(nicId));
      if (!addresses) return [];
      const owner = listed.get(nicId);
      return [{ nicId, ...addresses, primary: addresses.primary ?? owner?.primary ?? owner?.only ?? false }];
    });
    nics.sort((a, b) => Number(b.primary) - Number(a.primary) || (a.nicId < b.nicId ? -1 : a.nicId > b.nicId ? 1 : 0));
    const publicIps = nics.flatMap((nic) => nic.publicIpIds.map((id) => this.publicIps.get(id)).filter(isNonEmpty));
    return [...new Set([...nics.flatMap((nic) => nic.privateIps), ...publicIps])];
  }

  /**
   * Every VM page is in: the lookups only VMs used (instance views, NIC addresses) are dropped,
   * so four subscriptions in their NIC and disk pages do not hold them as well.
   */
  vmsDone(): void {
    this.instanceViews.clear();
    this.nicAddresses.clear();
    this.nicsByBackLink.clear();
  }

  /** A page of NICs (second pass, after every VM): their records and the subnets first seen on it. */
  nics(page: NetworkInterface[]): InventoryChunk {
    const networks: NetworkRecord[] = [];
    const nics: NicRecord[] = [];
    for (const nic of page.filter(hasId)) {
      nics.push(nicRecord(nic, this.nicOwners.get(idKey(nic.id)), this.vmIds, (id) => this.publicIps.get(idKey(id))));
      for (const configuration of nic.ipConfigurations ?? []) {
        const subnetId = configuration.subnet?.id;
        if (subnetId && !this.emittedNetworks.has(key(subnetId))) {
          this.emittedNetworks.add(key(subnetId));
          networks.push(subnetRecord(subnetId, nic.location));
        }
      }
    }
    return { networks, nics };
  }

  /** A page of disks (after every VM). */
  disks(page: Disk[]): InventoryChunk {
    const disks = page.filter(hasId).map((disk) => {
      this.listedDisks.add(idKey(disk.id));
      this.namedDisks.delete(key(disk.id));
      return diskRecord(disk, this.diskOwners.get(idKey(disk.id)), this.vmIds);
    });
    return { disks };
  }

  /**
   * Disks a VM names that the disk list lacked (attached in between, or in another
   * subscription): what the VM says of them, in chunks of at most `size`.
   */
  remainingDisks(size: number): InventoryChunk[] {
    const records = [...this.namedDisks.values()];
    this.namedDisks.clear();
    const chunks: InventoryChunk[] = [];
    for (let i = 0; i < records.length; i += size) chunks.push({ disks: records.slice(i, i + size) });
    return chunks;
  }
}

/**
 * What was read of one subscription, whole, through a stream parser in the order a full refresh
 * pages it (see AzureCollector.streamSubscription): the chunks, each list cut into pages of
 * `pageSize` (default: one page per list). A targeted refresh parses its single GETs this way.
 */
export function parseSubscriptionPages(raw: AzureSubscriptionInventory, pageSize = Number.POSITIVE_INFINITY): InventoryChunk[] {
  const pages = <T>(items: T[]): T[][] => {
    const result: T[][] = [];
    for (let i = 0; i < items.length; i += pageSize) result.push(items.slice(i, i + pageSize));
    return result;
  };
  const parser = new AzureSubscriptionStreamParser(raw.subscriptionId);
  const chunks: InventoryChunk[] = [];
  for (const page of pages(raw.resourceGroups)) chunks.push(parser.resourceGroups(page));
  for (const page of pages(raw.vmStatuses)) parser.addStatuses(page);
  for (const page of pages(raw.publicIPAddresses)) parser.addPublicIps(page);
  for (const page of pages(raw.networkInterfaces)) parser.addNicAddresses(page);
  for (const page of pages(raw.virtualMachines)) {
    for (const location of parser.missingSizeLocations(page)) {
      parser.addSizes(location, raw.vmSizes.find((s) => normalizeLocation(s.location) === location)?.sizes ?? []);
    }
    chunks.push(parser.vms(page));
  }
  parser.vmsDone();
  for (const page of pages(raw.networkInterfaces)) chunks.push(parser.nics(page));
  for (const page of pages(raw.disks)) chunks.push(parser.disks(page));
  chunks.push(...parser.remainingDisks(pageSize));
  return chunks;
}
