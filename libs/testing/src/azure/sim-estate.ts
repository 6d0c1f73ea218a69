import type { SimPowerState, SimVmSpec } from './azure-simulator.types.js';
import type { NicCreateRequest, PublicIpCreateRequest, VmCreateRequest } from './create-request.parser.js';
import { ResourceTable } from './resource.table.js';
import { SeededRandom } from './seeded-random.js';
import type { SimDisk, SimManagedImage, SimNic, SimPublicIp, SimResourceGroup, SimVm } from './sim-estate.model.js';

export interface SubscriptionEstate {
  id: string;
  resourceGroups: ResourceTable<SimResourceGroup>;
  vms: ResourceTable<SimVm>;
  nics: ResourceTable<SimNic>;
  publicIps: ResourceTable<SimPublicIp>;
  disks: ResourceTable<SimDisk>;
}

/** Placement details the public spec does not carry; the estate generator uses them to force every case. */
export interface VmPlacementHints {
  /** Upper-case the resource group in the references Compute and Network write (an ARM quirk). */
  upperCaseReferences?: boolean;
  publicIpAllocation?: 'Static' | 'Dynamic';
}

export interface OrphanDiskSpec {
  name: string;
  resourceGroup: string;
  location: string;
  sizeGB: number;
  skuName?: string;
}

export interface OrphanPublicIpSpec {
  name: string;
  resourceGroup: string;
  location: string;
}

/** A managed image's id (not a gallery image version's): subscription, resource group, name. */
export const MANAGED_IMAGE_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/images\/([^/]+)$/i;
const POWER_STATES: readonly SimPowerState[] = ['running', 'starting', 'stopping', 'stopped', 'deallocating', 'deallocated'];
const ZONED_LOCATIONS = new Set(['eastus', 'eastus2', 'westeurope', 'northeurope', 'westus2', 'uksouth', 'centralus']);
// Azure public address blocks, so addresses look like the real thing.
const PUBLIC_PREFIXES = [20, 40, 52, 13, 51, 104];

export function resourceId(subscriptionId: string, resourceGroup: string, provider: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${provider}/${name}`;
}

/**
 * The simulated estate: per subscription, the resources the list routes serve, and the mutations
 * tests use to change them. Everything derived (GUIDs, MACs, addresses) comes from a seeded PRNG,
 * so the same sequence of calls yields the same estate.
 */
export class SimEstate {
  private readonly subscriptions = new Map<string, SubscriptionEstate>();
  private readonly vmIndex = new Map<string, SimVm>();
  private readonly random: SeededRandom;
  private seq = 0;
  private macCounter = 0;
  private publicIpCounter = 0;
  private readonly privateIpCounters = new Map<string, number>();
  private readonly subnets = new Set<string>();
  private readonly images = new Map<string, SimManagedImage>();

  constructor(subscriptionIds: readonly string[], seed: number) {
    this.random = new SeededRandom(seed).fork(7);
    for (const id of subscriptionIds) {
      this.subscriptions.set(id.toLowerCase(), {
        id,
        resourceGroups: new ResourceTable(),
        vms: new ResourceTable(),
        nics: new ResourceTable(),
        publicIps: new ResourceTable(),
        disks: new ResourceTable(),
      });
    }
  }

  subscription(subscriptionId: string): SubscriptionEstate | undefined {
    return this.subscriptions.get(subscriptionId.toLowerCase());
  }

  findVm(vmId: string): SimVm | undefined {
    return this.vmIndex.get(vmId.toLowerCase());
  }

  vmIds(subscriptionId?: string): string[] {
    const subs = subscriptionId ? [this.requireSubscription(subscriptionId)] : [...this.subscriptions.values()];
    return subs.flatMap((sub) => sub.vms.all().map((vm) => vm.id));
  }

  ensureResourceGroup(
    subscriptionId: string,
    name: string,
    location: string,
    tags?: Record<string, string>,
  ): SimResourceGroup {
    const sub = this.requireSubscription(subscriptionId);
    const existing = sub.resourceGroups.get(`/subscriptions/${sub.id}/resourcegroups/${name}`);
    if (existing) return existing;
    const group: SimResourceGroup = {
      seq: ++this.seq,
      key: `/subscriptions/${sub.id}/resourcegroups/${name}`.toLowerCase(),
      subscriptionId: sub.id,
      name,
      location,
      tags,
    };
    sub.resourceGroups.add(group);
    return group;
  }

  addVm(subscriptionId: string, spec: SimVmSpec, hints: VmPlacementHints = {}): string {
    const sub = this.requireSubscription(subscriptionId);
    if (!spec.name) throw new Error('A VM needs a name');
    const location = spec.location ?? 'eastus';
    // A VM in an existing group takes the group's own casing, as ARM does.
    const group = this.ensureResourceGroup(sub.id, spec.resourceGroup ?? 'rg-sim', location);
    const rg = group.name;
    const id = resourceId(sub.id, rg, 'Microsoft.Compute/virtualMachines', spec.name);
    if (sub.vms.get(id)) throw new Error(`VM ${spec.name} already exists in ${rg}`);

    const r = this.random;
    // About a third of VMs get references whose resource group is upper-cased (an ARM quirk).
    const upper = r.chance(0.35);
    const osType = spec.osType ?? 'Linux';
    const powerState = spec.powerState ?? 'running';
    if (!POWER_STATES.includes(powerState)) throw new Error(`Unknown power state ${powerState}`);
    const timeCreated = spec.timeCreated ?? this.randomTimeCreated();
    const image = spec.imageReference ? { ...spec.imageReference } : undefined;
    const hyperVGeneration = /gen2|azure-edition/i.test(image?.sku ?? '') || /gen2/i.test(image?.id ?? '') ? 'V2' : 'V1';
    const zones = ZONED_LOCATIONS.has(location.toLowerCase()) && r.chance(0.3) ? [String(r.int(1, 3))] : undefined;
    const premium = /s(_|$)|^Standard_[DG]S/i.test(spec.vmSize ?? 'Standard_D2s_v3');
    const diskSku = premium ? r.weighted([['Premium_LRS', 6], ['StandardSSD_LRS', 3], ['Standard_LRS', 1]] as const) : 'Standard_LRS';
    const deallocated = powerState === 'deallocated';
    const diskState = deallocated || powerState === 'deallocating' ? 'Reserved' : 'Attached';
    const deleteOptions = { osDisk: 'Detach', dataDisks: 'Detach', nics: 'Detach', ...spec.deleteOptions } as const;

    // The VM first: its disks, NIC and public IP link back to it.
    const vm: SimVm = {
      seq: ++this.seq,
      key: id.toLowerCase(),
      subscriptionId: sub.id,
      id,
      name: spec.name,
      resourceGroup: rg,
      location,
      vmId: r.guid(),
      vmSize: spec.vmSize ?? 'Standard_D2s_v3',
      osType,
      imageReference: image,
      plan: spec.plan ? { ...spec.plan } : null,
      licenseType: spec.licenseType ?? null,
      powerState,
      guest: {
        osName: spec.guestOsName ?? null,
        osVersion: spec.guestOsVersion ?? null,
        agentVersion: spec.vmAgentVersion ?? null,
      },
      guestForgotten: deallocated,
      tags: spec.tags ? { ...spec.tags } : undefined,
      timeCreated,
      computerName: spec.name.replace(/[^A-Za-z0-9-]/g, '').slice(0, osType === 'Windows' ? 15 : 64),
      adminUsername: osType === 'Windows' ? 'azureadmin' : r.pick(['azureuser', 'cloud-user', 'ansible']),
      hyperVGeneration,
      zones,
      upperRefs: hints.upperCaseReferences ?? upper,
      nics: [],
      osDisk: undefined as unknown as SimDisk,
      dataDisks: [],
    };

    vm.osDisk = this.newDisk(sub, rg, `${spec.name}_OsDisk_1_${r.hex(32)}`, location, {
      sizeGB: this.osDiskSize(spec),
      skuName: diskSku,
      osType,
      hyperVGeneration,
      owner: vm,
      deleteOption: deleteOptions.osDisk,
      diskState,
      createOption: image ? 'FromImage' : 'Copy',
      image,
      timeCreated,
      zone: zones?.[0],
    });
    for (let lun = 0; lun < (spec.dataDisks ?? 0); lun++) {
      vm.dataDisks.push(
        this.newDisk(sub, rg, `${spec.name}_DataDisk_${lun}`, location, {
          sizeGB: r.pick([32, 64, 128, 256, 512, 1024]),
          skuName: diskSku,
          owner: vm,
          deleteOption: deleteOptions.dataDisks,
          diskState,
          createOption: 'Empty',
          timeCreated,
          zone: zones?.[0],
        }),
      );
    }

    const nicName = r.chance(0.5) ? `${spec.name}${r.int(100, 999)}` : `${spec.name}-nic`;
    const nicId = resourceId(sub.id, rg, 'Microsoft.Network/networkInterfaces', nicName);
    const nic: SimNic = {
      seq: ++this.seq,
      key: nicId.toLowerCase(),
      id: nicId,
      name: nicName,
      location,
      macAddress: this.nextMac(),
      privateIp: this.nextPrivateIp(sub.id),
      nsgName: r.chance(0.7) ? `${spec.name}-nsg` : undefined,
      acceleratedNetworking: !/^Standard_B/i.test(spec.vmSize ?? '') && r.chance(0.6),
      vm,
      deleteOption: deleteOptions.nics,
      publicIp: null,
      resourceGuid: r.guid(),
    };
    if (spec.publicIp) {
      const wanted = hints.publicIpAllocation ?? (r.chance(0.5) ? 'Static' : 'Dynamic');
      // Standard SKU addresses are always Static (and the only kind allowed in zones).
      const standard = wanted === 'Static' && (zones !== undefined || r.chance(0.7));
      nic.publicIp = this.newPublicIp(sub, rg, `${spec.name}-ip`, location, {
        skuName: standard ? 'Standard' : 'Basic',
        allocation: wanted,
        nic,
        domainNameLabel: r.chance(0.4) ? spec.name.toLowerCase() : undefined,
        zone: standard ? zones?.[0] : undefined,
      });
      if (wanted === 'Dynamic' && deallocated) nic.publicIp.allocated = false;
    }
    sub.nics.add(nic);
    vm.nics.push(nic);

    sub.vms.add(vm);
    this.vmIndex.set(vm.key, vm);
    // A VM made from a managed image: the estate holds that image, captured in the VM's region.
    if (image?.id && MANAGED_IMAGE_ID.test(image.id) && !this.images.has(image.id.toLowerCase())) {
      const [, imageSubscription, imageGroup, imageName] = MANAGED_IMAGE_ID.exec(image.id)!;
      if (this.subscription(imageSubscription)) this.addImage(imageSubscription, imageGroup, imageName, { location, osType, hyperVGeneration, sourceVmId: id });
    }
    return id;
  }

  /**
   * What a DELETE of the VM does (ARM): the VM goes; each disk and NIC whose deleteOption is
   * Delete goes with it, the others stay, detached (a disk Unattached, a NIC without its VM). A
   * deleted NIC's public IP stays, unassociated.
   */
  deleteVm(vmId: string): void {
    const vm = this.requireVm(vmId);
    const sub = this.requireSubscription(vm.subscriptionId);
    sub.vms.remove(vm.key);
    this.vmIndex.delete(vm.key);
    for (const nic of vm.nics) {
      nic.vm = null;
      if (nic.deleteOption === 'Delete') this.deleteNic(nic.id);
    }
    for (const disk of [vm.osDisk, ...vm.dataDisks]) {
      disk.owner = null;
      disk.diskState = 'Unattached';
      if (disk.deleteOption === 'Delete') sub.disks.remove(disk.key);
    }
  }

  /** Adds a subnet that NIC PUTs may name; returns its id. */
  /** Adds (or replaces) a managed image; its id. */
  addImage(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    options: { location: string; osType?: 'Linux' | 'Windows'; hyperVGeneration?: 'V1' | 'V2'; sourceVmId?: string | null },
  ): string {
    const sub = this.requireSubscription(subscriptionId);
    // (Its resource group is not added to the estate's: an image's group holds no VM of the inventory.)
    const id = resourceId(sub.id, resourceGroup, 'Microsoft.Compute/images', name);
    this.images.set(id.toLowerCase(), {
      id,
      name,
      resourceGroup,
      subscriptionId: sub.id,
      location: options.location.toLowerCase(),
      osType: options.osType ?? 'Linux',
      hyperVGeneration: options.hyperVGeneration ?? 'V2',
      sourceVmId: options.sourceVmId ?? null,
    });
    return id;
  }

  findImage(id: string): SimManagedImage | undefined {
    return this.images.get(id.toLowerCase());
  }

  /** Deletes a managed image (the VMs made from it stay); whether there was one. */
  removeImage(id: string): boolean {
    return this.images.delete(id.toLowerCase());
  }

  addSubnet(subscriptionId: string, resourceGroup: string, virtualNetwork: string, subnet: string): string {
    const sub = this.requireSubscription(subscriptionId);
    const id = `${resourceId(sub.id, resourceGroup, 'Microsoft.Network/virtualNetworks', virtualNetwork)}/subnets/${subnet}`;
    this.subnets.add(id.toLowerCase());
    return id;
  }

  /**
   * Whether a subnet exists: one added with addSubnet, or the `<rg>-vnet/subnets/default` of an
   * existing resource group (the subnet the generated NICs sit in).
   */
  hasSubnet(id: string): boolean {
    if (this.subnets.has(id.toLowerCase())) return true;
    const match = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)\/subnets\/default$/i.exec(id);
    if (!match) return false;
    const sub = this.subscription(match[1]);
    return !!sub?.resourceGroups.get(`/subscriptions/${sub.id}/resourcegroups/${match[2]}`) && match[3].toLowerCase() === `${match[2]}-vnet`.toLowerCase();
  }

  /** A public IP from a PUT, provisioningState 'Updating' until its operation settles. */
  createPublicIp(subscriptionId: string, resourceGroup: string, name: string, request: PublicIpCreateRequest, createBody: string): SimPublicIp {
    const sub = this.requireSubscription(subscriptionId);
    const group = this.ensureResourceGroup(sub.id, resourceGroup, request.location);
    const pip = this.newPublicIp(sub, group.name, name, request.location, {
      skuName: request.skuName,
      allocation: request.allocation,
      nic: null,
      domainNameLabel: request.domainNameLabel,
      zone: request.zones?.[0],
    });
    // A Dynamic address is assigned only once the IP is associated with a running VM.
    pip.allocated = request.allocation === 'Static';
    Object.assign(pip, { provisioningState: 'Updating', tags: request.tags, createBody });
    return pip;
  }

  /**
   * A NIC from a PUT ('Updating' until its operation settles). Its MAC address is assigned when a
   * VM gets it; a public IP it names becomes associated with its ipconfig.
   */
  createNic(subscriptionId: string, resourceGroup: string, name: string, request: NicCreateRequest, createBody: string): SimNic {
    const sub = this.requireSubscription(subscriptionId);
    const group = this.ensureResourceGroup(sub.id, resourceGroup, request.location);
    const id = resourceId(sub.id, group.name, 'Microsoft.Network/networkInterfaces', name);
    const config = request.ipConfigurations.find((c) => c.primary) ?? request.ipConfigurations[0];
    const publicIp = config.publicIpId ? (this.findPublicIp(config.publicIpId) ?? null) : null;
    const nic: SimNic = {
      seq: ++this.seq,
      key: id.toLowerCase(),
      id,
      name,
      location: request.location,
      macAddress: '',
      privateIp: this.nextPrivateIp(sub.id),
      acceleratedNetworking: request.enableAcceleratedNetworking,
      vm: null,
      deleteOption: 'Detach',
      publicIp,
      resourceGuid: this.random.guid(),
      provisioningState: 'Updating',
      subnetId: config.subnetId,
      ipConfigName: config.name,
      tags: request.tags,
      createBody,
    };
    if (publicIp) publicIp.nic = nic;
    sub.nics.add(nic);
    return nic;
  }

  /**
   * A VM from a PUT, deallocated and 'Creating' (its create operation then boots it), with its
   * managed OS disk; the NICs it names link back to it.
   */
  createVm(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    request: VmCreateRequest,
    nics: SimNic[],
    extra: { bootGuest: SimVm['bootGuest']; createBody: string; nowMs: number },
  ): SimVm {
    const sub = this.requireSubscription(subscriptionId);
    const group = this.ensureResourceGroup(sub.id, resourceGroup, request.location);
    const id = resourceId(sub.id, group.name, 'Microsoft.Compute/virtualMachines', name);
    const image = { ...request.imageReference };
    const hyperVGeneration = /gen2|azure-edition/i.test(image.sku ?? '') || /gen2/i.test(image.id ?? '') ? 'V2' : 'V1';
    const timeCreated = `${new Date(extra.nowMs).toISOString().slice(0, 23)}0000+00:00`;
    const vm: SimVm = {
      seq: ++this.seq,
      key: id.toLowerCase(),
      subscriptionId: sub.id,
      id,
      name,
      resourceGroup: group.name,
      location: request.location,
      vmId: this.random.guid(),
      vmSize: request.vmSize,
      osType: 'Linux',
      imageReference: image,
      plan: request.plan ? { ...request.plan } : null,
      licenseType: request.licenseType ?? null,
      powerState: 'deallocated',
      guest: { osName: null, osVersion: null, agentVersion: null },
      guestForgotten: false,
      tags: request.tags,
      timeCreated,
      computerName: request.computerName,
      adminUsername: request.adminUsername,
      hyperVGeneration,
      zones: request.zones,
      upperRefs: false,
      nics: [],
      osDisk: undefined as unknown as SimDisk,
      dataDisks: [],
      provisioningState: 'Creating',
      bootGuest: extra.bootGuest,
      sshPublicKeys: request.sshPublicKeys,
      disablePasswordAuthentication: request.disablePasswordAuthentication,
      createBody: extra.createBody,
    };
    const premium = /s(_|$)|^Standard_[DG]S/i.test(request.vmSize);
    vm.osDisk = this.newDisk(sub, group.name, request.osDisk.name ?? `${name}_OsDisk_1_${this.random.hex(32)}`, request.location, {
      sizeGB: request.osDisk.diskSizeGB ?? 64,
      skuName: request.osDisk.storageAccountType ?? (premium ? 'Premium_LRS' : 'Standard_LRS'),
      osType: 'Linux',
      hyperVGeneration,
      owner: vm,
      deleteOption: request.osDisk.deleteOption,
      diskState: 'Attached',
      createOption: 'FromImage',
      image,
      timeCreated,
      zone: request.zones?.[0],
    });
    request.networkInterfaces.forEach((entry, i) => {
      const nic = nics[i];
      nic.vm = vm;
      nic.deleteOption = entry.deleteOption;
      if (!nic.macAddress) nic.macAddress = this.nextMac();
      vm.nics.push(nic);
    });
    sub.vms.add(vm);
    this.vmIndex.set(vm.key, vm);
    return vm;
  }

  findDisk(id: string): SimDisk | undefined {
    return this.subscriptionOf(id)?.disks.get(id);
  }

  findNic(id: string): SimNic | undefined {
    return this.subscriptionOf(id)?.nics.get(id);
  }

  findPublicIp(id: string): SimPublicIp | undefined {
    return this.subscriptionOf(id)?.publicIps.get(id);
  }

  /** Removes an unattached disk. */
  deleteDisk(id: string): void {
    const disk = this.findDisk(id);
    if (disk?.owner) throw new Error(`Disk ${disk.name} is attached to ${disk.owner.id}`);
    this.subscriptionOf(id)?.disks.remove(id);
  }

  /** Removes a NIC no VM uses; its public IP stays, unassociated. */
  deleteNic(id: string): void {
    const nic = this.findNic(id);
    if (!nic) return;
    if (nic.vm) throw new Error(`NIC ${nic.name} is used by ${nic.vm.id}`);
    if (nic.publicIp) nic.publicIp.nic = null;
    this.subscriptionOf(id)?.nics.remove(id);
  }

  /** Removes a public IP no NIC holds. */
  deletePublicIp(id: string): void {
    const pip = this.findPublicIp(id);
    if (pip?.nic) throw new Error(`Public IP ${pip.name} is held by ${pip.nic.id}`);
    this.subscriptionOf(id)?.publicIps.remove(id);
  }

  /** Removes the VM with everything it owns, whatever the deleteOptions (a test's shortcut, not ARM's DELETE). */
  removeVm(vmId: string): void {
    const vm = this.requireVm(vmId);
    const sub = this.requireSubscription(vm.subscriptionId);
    sub.vms.remove(vm.key);
    this.vmIndex.delete(vm.key);
    for (const nic of vm.nics) {
      sub.nics.remove(nic.key);
      if (nic.publicIp) sub.publicIps.remove(nic.publicIp.key);
    }
    for (const disk of [vm.osDisk, ...vm.dataDisks]) sub.disks.remove(disk.key);
  }

  setPowerState(vmId: string, state: SimPowerState): void {
    if (!POWER_STATES.includes(state)) throw new Error(`Unknown power state ${state}`);
    const vm = this.requireVm(vmId);
    vm.powerState = state;
    const released = state === 'deallocated';
    if (released) vm.guestForgotten = true;
    if (state === 'running') vm.guestForgotten = false;
    const diskState = released || state === 'deallocating' ? 'Reserved' : 'Attached';
    for (const disk of [vm.osDisk, ...vm.dataDisks]) disk.diskState = diskState;
    for (const nic of vm.nics) {
      const pip = nic.publicIp;
      if (!pip || pip.allocation !== 'Dynamic') continue;
      if (released) pip.allocated = false;
      else if (!pip.allocated && state !== 'deallocating') {
        // A Dynamic address comes back as a new one after deallocation.
        pip.address = this.nextPublicAddress();
        pip.allocated = true;
      }
    }
  }

  resizeVm(vmId: string, vmSize: string): void {
    this.requireVm(vmId).vmSize = vmSize;
  }

  setTags(vmId: string, tags: Record<string, string>): void {
    this.requireVm(vmId).tags = { ...tags };
  }

  setLicenseType(vmId: string, licenseType: string | null): void {
    this.requireVm(vmId).licenseType = licenseType;
  }

  addOrphanDisk(subscriptionId: string, spec: OrphanDiskSpec): SimDisk {
    const sub = this.requireSubscription(subscriptionId);
    const group = this.ensureResourceGroup(sub.id, spec.resourceGroup, spec.location);
    return this.newDisk(sub, group.name, spec.name, spec.location, {
      sizeGB: spec.sizeGB,
      skuName: spec.skuName ?? 'Standard_LRS',
      owner: null,
      deleteOption: 'Detach',
      diskState: 'Unattached',
      createOption: 'Empty',
      timeCreated: this.randomTimeCreated(),
    });
  }

  addOrphanPublicIp(subscriptionId: string, spec: OrphanPublicIpSpec): SimPublicIp {
    const sub = this.requireSubscription(subscriptionId);
    const group = this.ensureResourceGroup(sub.id, spec.resourceGroup, spec.location);
    return this.newPublicIp(sub, group.name, spec.name, spec.location, {
      skuName: 'Standard',
      allocation: 'Static',
      nic: null,
    });
  }

  private newDisk(
    sub: SubscriptionEstate,
    rg: string,
    name: string,
    location: string,
    fields: Omit<SimDisk, 'seq' | 'key' | 'id' | 'name' | 'location' | 'uniqueId'>,
  ): SimDisk {
    const id = resourceId(sub.id, rg, 'Microsoft.Compute/disks', name);
    const disk: SimDisk = { seq: ++this.seq, key: id.toLowerCase(), id, name, location, uniqueId: this.random.guid(), ...fields };
    sub.disks.add(disk);
    return disk;
  }

  private newPublicIp(
    sub: SubscriptionEstate,
    rg: string,
    name: string,
    location: string,
    fields: Pick<SimPublicIp, 'skuName' | 'allocation' | 'nic' | 'domainNameLabel' | 'zone'>,
  ): SimPublicIp {
    const id = resourceId(sub.id, rg, 'Microsoft.Network/publicIPAddresses', name);
    const pip: SimPublicIp = {
      seq: ++this.seq,
      key: id.toLowerCase(),
      id,
      name,
      location,
      address: this.nextPublicAddress(),
      allocated: true,
      resourceGuid: this.random.guid(),
      ...fields,
    };
    sub.publicIps.add(pip);
    return pip;
  }

  private osDiskSize(spec: SimVmSpec): number {
    if ((spec.osType ?? 'Linux') === 'Windows') return 127;
    if (/canonical|ubuntu/i.test(spec.imageReference?.publisher ?? '')) return 30;
    return 64;
  }

  private nextMac(): string {
    // An odd multiplier permutes 24 bits, so MACs stay unique for 16M NICs.
    const n = (Math.imul(++this.macCounter, 0x9e3779) + 0x1b2c3d) & 0xffffff;
    const bytes = [n >>> 16, (n >>> 8) & 0xff, n & 0xff].map((b) => b.toString(16).toUpperCase().padStart(2, '0'));
    return `00-0D-3A-${bytes.join('-')}`;
  }

  private nextPrivateIp(subscriptionId: string): string {
    const n = this.privateIpCounters.get(subscriptionId) ?? 0;
    this.privateIpCounters.set(subscriptionId, n + 1);
    // Azure reserves .0-.3 of each subnet; spread over 10.x.y.4-253.
    const host = 4 + (n % 250);
    const block = Math.floor(n / 250);
    return `10.${block >> 8}.${block & 0xff}.${host}`;
  }

  private nextPublicAddress(): string {
    const n = (Math.imul(++this.publicIpCounter, 0x2f6b5) + 0x5a17) & 0xffffff;
    const prefix = PUBLIC_PREFIXES[this.publicIpCounter % PUBLIC_PREFIXES.length];
    return `${prefix}.${n >>> 16}.${(n >>> 8) & 0xff}.${Math.max(1, n & 0xff)}`;
  }

  private randomTimeCreated(): string {
    const start = Date.UTC(2021, 0, 1);
    const span = Date.UTC(2025, 5, 30) - start;
    const ms = start + Math.floor(this.random.next() * span);
    // Compute writes seven fractional digits and an explicit offset.
    const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
    return `${iso}.${String(this.random.int(0, 9999999)).padStart(7, '0')}+00:00`;
  }

  private subscriptionOf(resourceId: string): SubscriptionEstate | undefined {
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1];
    return subscriptionId ? this.subscription(subscriptionId) : undefined;
  }

  private requireSubscription(subscriptionId: string): SubscriptionEstate {
    const sub = this.subscription(subscriptionId);
    if (!sub) throw new Error(`Unknown subscription ${subscriptionId}`);
    return sub;
  }

  private requireVm(vmId: string): SimVm {
    const vm = this.findVm(vmId);
    if (!vm) throw new Error(`Unknown VM ${vmId}`);
    return vm;
  }
}
