import type { SimPowerState } from './azure-simulator.types.js';
import type { SimDisk, SimNic, SimPublicIp, SimResourceGroup, SimVm } from './sim-estate.model.js';

/**
 * Turns estate records into ARM's wire shape (`properties: {...}`, not the SDK's flattened
 * one). Nulls are left out, as ARM's serializers do. Status `time` fields take `now`.
 */
type Json = Record<string, unknown>;

const POWER_DISPLAY: Record<SimPowerState, string> = {
  running: 'VM running',
  starting: 'VM starting',
  stopping: 'VM stopping',
  stopped: 'VM stopped',
  deallocating: 'VM deallocating',
  deallocated: 'VM deallocated',
};

export function vmToWire(vm: SimVm, options: { instanceView: boolean; now: string }): Json {
  const properties: Json = {
    vmId: vm.vmId,
    hardwareProfile: { vmSize: vm.vmSize },
    storageProfile: storageProfile(vm),
  };
  if (vm.imageReference) properties.osProfile = osProfile(vm);
  properties.networkProfile = {
    networkInterfaces: vm.nics.map((nic, i) => ({
      id: reference(nic.id, vm.upperRefs),
      properties: vm.nics.length > 1 ? { primary: i === 0, deleteOption: nic.deleteOption } : { deleteOption: nic.deleteOption },
    })),
  };
  properties.securityProfile = vm.hyperVGeneration === 'V2' ? { securityType: 'TrustedLaunch', uefiSettings: { secureBootEnabled: true, vTpmEnabled: true } } : undefined;
  properties.diagnosticsProfile = { bootDiagnostics: { enabled: true } };
  if (vm.licenseType) properties.licenseType = vm.licenseType;
  properties.provisioningState = vm.deleting ? 'Deleting' : (vm.provisioningState ?? 'Succeeded');
  if (options.instanceView) properties.instanceView = instanceViewToWire(vm, options.now);
  properties.timeCreated = vm.timeCreated;

  return compact({
    name: vm.name,
    id: vm.id,
    type: 'Microsoft.Compute/virtualMachines',
    location: vm.location,
    tags: vm.tags,
    zones: vm.zones,
    plan: vm.plan ?? undefined,
    properties: compact(properties),
  });
}

function storageProfile(vm: SimVm): Json {
  const ref = vm.imageReference;
  let imageReference: Json | undefined;
  if (ref?.id) imageReference = { id: ref.id };
  else if (ref) {
    // exactVersion is read-only and always filled for marketplace images; it differs from version only for 'latest'.
    const exactVersion = ref.exactVersion ?? (ref.version && ref.version !== 'latest' ? ref.version : undefined);
    imageReference = compact({ publisher: ref.publisher, offer: ref.offer, sku: ref.sku, version: ref.version, exactVersion });
  }
  return compact({
    imageReference,
    osDisk: {
      osType: vm.osType,
      name: vm.osDisk.name,
      createOption: ref ? 'FromImage' : 'Attach',
      caching: 'ReadWrite',
      managedDisk: { storageAccountType: vm.osDisk.skuName, id: reference(vm.osDisk.id, vm.upperRefs) },
      deleteOption: vm.osDisk.deleteOption,
      diskSizeGB: vm.osDisk.sizeGB,
    },
    dataDisks: vm.dataDisks.map((disk, lun) => ({
      lun,
      name: disk.name,
      createOption: 'Empty',
      caching: 'ReadOnly',
      managedDisk: { storageAccountType: disk.skuName, id: reference(disk.id, vm.upperRefs) },
      deleteOption: disk.deleteOption,
      diskSizeGB: disk.sizeGB,
      toBeDetached: false,
    })),
    diskControllerType: 'SCSI',
  });
}

function osProfile(vm: SimVm): Json {
  const base = {
    computerName: vm.computerName,
    adminUsername: vm.adminUsername,
    secrets: [],
    allowExtensionOperations: true,
    requireGuestProvisionSignal: true,
  };
  if (vm.osType === 'Windows') {
    return {
      ...base,
      windowsConfiguration: {
        provisionVMAgent: true,
        enableAutomaticUpdates: true,
        patchSettings: { patchMode: 'AutomaticByOS', assessmentMode: 'ImageDefault', enableHotpatching: false },
      },
    };
  }
  return {
    ...base,
    linuxConfiguration: {
      disablePasswordAuthentication: vm.disablePasswordAuthentication ?? true,
      ssh: {
        publicKeys: vm.sshPublicKeys ?? [
          { path: `/home/${vm.adminUsername}/.ssh/authorized_keys`, keyData: `ssh-rsa AAAAB3NzaC1yc2E${vm.vmId.replace(/-/g, '')} generated-by-azure` },
        ],
      },
      provisionVMAgent: true,
      patchSettings: { patchMode: 'ImageDefault', assessmentMode: 'ImageDefault' },
      enableVMAgentPlatformUpdates: false,
    },
  };
}

export function instanceViewToWire(vm: SimVm, now: string): Json {
  const view: Json = {};
  const deallocated = vm.powerState === 'deallocated' || vm.powerState === 'deallocating';
  // A deallocated VM has no guest: Azure drops computerName, osName, osVersion and the agent.
  if (!deallocated) {
    view.computerName = vm.computerName;
    if (!vm.guestForgotten) {
      view.osName = vm.guest.osName ?? undefined;
      view.osVersion = vm.guest.osVersion ?? undefined;
    }
    view.vmAgent = vmAgent(vm, now);
  }
  view.hyperVGeneration = vm.hyperVGeneration;
  view.disks = [vm.osDisk, ...vm.dataDisks].map((disk) => ({
    name: disk.name,
    statuses: [{ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', time: vm.timeCreated }],
  }));
  view.statuses = [
    provisioningStatus(vm, now),
    { code: `PowerState/${vm.powerState}`, level: 'Info', displayStatus: POWER_DISPLAY[vm.powerState] },
  ];
  return compact(view);
}

function provisioningStatus(vm: SimVm, now: string): Json {
  if (vm.deleting) return { code: 'ProvisioningState/deleting', level: 'Info', displayStatus: 'Deleting' };
  if (vm.provisioningState === 'Creating') return { code: 'ProvisioningState/creating', level: 'Info', displayStatus: 'Creating' };
  if (vm.provisioningState === 'Failed') {
    const error = vm.provisioningError;
    return compact({
      code: `ProvisioningState/failed/${error?.code ?? 'InternalOperationError'}`,
      level: 'Error',
      displayStatus: 'Provisioning failed',
      message: error?.message,
      time: now,
    });
  }
  return { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', time: now };
}

function vmAgent(vm: SimVm, now: string): Json {
  const reporting = vm.guest.agentVersion && vm.powerState === 'running' && !vm.guestForgotten;
  if (reporting) {
    return {
      vmAgentVersion: vm.guest.agentVersion,
      statuses: [
        {
          code: 'ProvisioningState/succeeded',
          level: 'Info',
          displayStatus: 'Ready',
          message: 'GuestAgent is running and processing the extensions.',
          time: now,
        },
      ],
      extensionHandlers: [],
    };
  }
  // Without a reporting agent, Azure shows 'Unknown' and a warning rather than omitting the block.
  return {
    vmAgentVersion: vm.guest.agentVersion && !vm.guestForgotten ? vm.guest.agentVersion : 'Unknown',
    statuses: [
      {
        code: 'ProvisioningState/Unavailable',
        level: 'Warning',
        displayStatus: 'Not Ready',
        message: 'VM Agent is unresponsive.',
        time: now,
      },
    ],
    extensionHandlers: [],
  };
}

export function nicToWire(nic: SimNic): Json {
  const ipConfigName = nic.ipConfigName ?? 'ipconfig1';
  const ipConfigId = `${nic.id}/ipConfigurations/${ipConfigName}`;
  const provisioningState = nic.provisioningState ?? 'Succeeded';
  // The VNet and NSG live in the NIC's resource group.
  const group = nic.id.slice(0, nic.id.indexOf('/providers/'));
  return compact({
    name: nic.name,
    id: nic.id,
    etag: `W/"${nic.resourceGuid}"`,
    type: 'Microsoft.Network/networkInterfaces',
    location: nic.location,
    tags: nic.tags,
    kind: 'Regular',
    properties: compact({
      provisioningState,
      resourceGuid: nic.resourceGuid,
      ipConfigurations: [
        {
          name: ipConfigName,
          id: ipConfigId,
          etag: `W/"${nic.resourceGuid}"`,
          type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
          properties: compact({
            provisioningState,
            privateIPAddress: nic.privateIp,
            privateIPAllocationMethod: 'Dynamic',
            publicIPAddress: nic.publicIp ? { id: nic.publicIp.id } : undefined,
            subnet: { id: nic.subnetId ?? `${group}/providers/Microsoft.Network/virtualNetworks/${group.split('/')[4]}-vnet/subnets/default` },
            primary: true,
            privateIPAddressVersion: 'IPv4',
          }),
        },
      ],
      dnsSettings: {
        dnsServers: [],
        appliedDnsServers: [],
        internalDomainNameSuffix: `${nic.resourceGuid.slice(0, 26).replace(/-/g, '')}.bx.internal.cloudapp.net`,
      },
      // Network assigns the MAC address only once a VM has the NIC.
      macAddress: nic.macAddress || undefined,
      vnetEncryptionSupported: false,
      enableIPForwarding: false,
      enableAcceleratedNetworking: nic.acceleratedNetworking,
      disableTcpStateTracking: false,
      networkSecurityGroup: nic.nsgName ? { id: `${group}/providers/Microsoft.Network/networkSecurityGroups/${nic.nsgName}` } : undefined,
      primary: nic.vm ? true : undefined,
      virtualMachine: nic.vm ? { id: reference(nic.vm.id, nic.vm.upperRefs) } : undefined,
      hostedWorkloads: [],
      tapConfigurations: [],
      nicType: 'Standard',
      allowPort25Out: true,
      auxiliaryMode: 'None',
      auxiliarySku: 'None',
    }),
  });
}

export function publicIpToWire(pip: SimPublicIp): Json {
  return compact({
    name: pip.name,
    id: pip.id,
    etag: `W/"${pip.resourceGuid}"`,
    location: pip.location,
    tags: pip.tags,
    zones: pip.zone ? [pip.zone] : undefined,
    type: 'Microsoft.Network/publicIPAddresses',
    sku: { name: pip.skuName, tier: 'Regional' },
    properties: compact({
      provisioningState: pip.provisioningState ?? 'Succeeded',
      resourceGuid: pip.resourceGuid,
      // A Dynamic address is absent while unallocated (e.g. its VM is deallocated).
      ipAddress: pip.allocated ? pip.address : undefined,
      publicIPAddressVersion: 'IPv4',
      publicIPAllocationMethod: pip.allocation,
      idleTimeoutInMinutes: 4,
      dnsSettings: pip.domainNameLabel
        ? { domainNameLabel: pip.domainNameLabel, fqdn: `${pip.domainNameLabel}.${pip.location}.cloudapp.azure.com` }
        : undefined,
      ipTags: [],
      ipConfiguration: pip.nic
        ? { id: reference(`${pip.nic.id}/ipConfigurations/${pip.nic.ipConfigName ?? 'ipconfig1'}`, pip.nic.vm?.upperRefs ?? false) }
        : undefined,
      ddosSettings: { protectionMode: 'VirtualNetworkInherited' },
    }),
  });
}

const PREMIUM_TIERS: ReadonlyArray<readonly [number, string]> = [
  [4, 'P1'], [8, 'P2'], [16, 'P3'], [32, 'P4'], [64, 'P6'], [128, 'P10'], [256, 'P15'], [512, 'P20'], [1024, 'P30'],
  [2048, 'P40'], [4096, 'P50'],
];

export function diskToWire(disk: SimDisk): Json {
  const premium = disk.skuName.startsWith('Premium');
  const tier = premium ? PREMIUM_TIERS.find(([size]) => disk.sizeGB <= size)?.[1] : undefined;
  return compact({
    name: disk.name,
    id: disk.id,
    type: 'Microsoft.Compute/disks',
    location: disk.location,
    managedBy: disk.owner ? reference(disk.owner.id, disk.owner.upperRefs) : undefined,
    sku: { name: disk.skuName, tier: premium ? 'Premium' : 'Standard' },
    zones: disk.zone ? [disk.zone] : undefined,
    properties: compact({
      osType: disk.osType,
      hyperVGeneration: disk.hyperVGeneration,
      creationData: creationData(disk),
      diskSizeGB: disk.sizeGB,
      diskIOPSReadWrite: premium ? Math.min(120 + disk.sizeGB * 5, 20000) : 500,
      diskMBpsReadWrite: premium ? Math.min(25 + Math.floor(disk.sizeGB / 4), 900) : 60,
      encryption: { type: 'EncryptionAtRestWithPlatformKey' },
      networkAccessPolicy: 'AllowAll',
      publicNetworkAccess: 'Enabled',
      timeCreated: disk.timeCreated,
      provisioningState: 'Succeeded',
      diskState: disk.diskState,
      diskSizeBytes: disk.sizeGB * 1024 * 1024 * 1024,
      uniqueId: disk.uniqueId,
      tier,
    }),
  });
}

export function resourceGroupToWire(group: SimResourceGroup): Json {
  return compact({
    id: `/subscriptions/${group.subscriptionId}/resourceGroups/${group.name}`,
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    tags: group.tags,
    properties: { provisioningState: 'Succeeded' },
  });
}

export function subscriptionToWire(subscriptionId: string, tenantId: string, index: number): Json {
  return {
    id: `/subscriptions/${subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId,
    tenantId,
    displayName: index === 0 ? 'Hybridforms Simulated Production' : `Hybridforms Simulated ${index + 1}`,
    state: 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  };
}

function creationData(disk: SimDisk): Json {
  const image = disk.image;
  if (!image) return { createOption: disk.createOption };
  if (image.id) {
    return /\/galleries\//i.test(image.id)
      ? { createOption: 'FromImage', galleryImageReference: { id: image.id } }
      : { createOption: 'FromImage', imageReference: { id: image.id } };
  }
  // Platform images are referenced by this odd-cased path, with the resolved version.
  const subscriptionId = disk.id.split('/')[2];
  const path =
    `/Subscriptions/${subscriptionId}/Providers/Microsoft.Compute/Locations/${disk.location}/Publishers/${image.publisher}` +
    `/ArtifactTypes/VMImage/Offers/${image.offer}/Skus/${image.sku}/Versions/${image.exactVersion ?? image.version}`;
  return { createOption: 'FromImage', imageReference: { id: path } };
}

/** An id as Compute and Network often write references to it: the resource group upper-cased. */
function reference(id: string, upperGroup: boolean): string {
  if (!upperGroup) return id;
  const parts = id.split('/');
  parts[4] = parts[4].toUpperCase();
  return parts.join('/');
}

function compact(object: Json): Json {
  for (const key of Object.keys(object)) {
    if (object[key] === undefined || object[key] === null) delete object[key];
  }
  return object;
}
