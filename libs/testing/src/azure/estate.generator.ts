import type { SimPowerState, SimVmSpec } from './azure-simulator.types.js';
import { SeededRandom } from './seeded-random.js';
import type { OrphanDiskSpec, OrphanPublicIpSpec, VmPlacementHints } from './sim-estate.js';

/** The kinds of VM the generated estate always contains (when vmCount allows). */
export type EstateCase =
  | 'rhel7-payg'
  | 'rhel79-payg'
  | 'rhel8-payg'
  | 'rhel810-payg-latest'
  | 'rhel9-payg'
  | 'rhel94-payg-latest'
  | 'rhel-sap-ha'
  | 'rhel-ha'
  | 'rhel-byos-gold'
  | 'rhel-payg-ahb-byos'
  | 'rhel-byos-ahb-payg'
  | 'rhel-custom-byos'
  | 'rhel-custom-payg'
  | 'custom-unknown'
  | 'windows-ahb'
  | 'windows-payg'
  | 'ubuntu'
  | 'rhel-stopped'
  | 'rhel-deallocated'
  | 'sles'
  | 'rhel-transitioning';

export interface GeneratedVm {
  case: EstateCase;
  spec: SimVmSpec;
  hints: VmPlacementHints;
}

export interface GeneratedEstate {
  vms: GeneratedVm[];
  resourceGroups: { name: string; location: string; tags?: Record<string, string> }[];
  orphanDisks: OrphanDiskSpec[];
  orphanPublicIps: OrphanPublicIpSpec[];
}

interface Archetype {
  case: EstateCase;
  prefix: string;
  /** Weight among the VMs drawn after every case appeared once. */
  weight: number;
  groups: readonly string[];
  sizes: readonly string[];
  build(r: SeededRandom, ctx: { subscriptionId: string }): Partial<SimVmSpec>;
}

const RESOURCE_GROUPS: Record<string, string> = {
  'rg-rhel-prod': 'eastus',
  'rg-rhel-dev': 'eastus2',
  'RG-SAP-HANA': 'westeurope',
  'rg-rhel-byos': 'northeurope',
  'Rg-Windows-Apps': 'uksouth',
  'rg-ubuntu-ci': 'westus2',
  'rg-legacy': 'eastus',
};
const LOCATIONS = ['eastus', 'eastus2', 'westeurope', 'northeurope', 'westus2', 'uksouth'];
const LINUX_AGENTS = ['2.9.1.1', '2.15.1.3', '2.10.0.8', '2.11.1.4', '2.12.0.2'];
const GENERAL_SIZES = ['Standard_D2s_v3', 'Standard_D4s_v3', 'Standard_D4s_v5', 'Standard_E4s_v3', 'Standard_B2ms', 'Standard_F4s_v2'];
const SAP_SIZES = ['Standard_E32ds_v5', 'Standard_M32ts', 'Standard_E16s_v3'];
const WINDOWS_SIZES = ['Standard_D4s_v5', 'Standard_B2ms', 'Standard_D2s_v3'];
const RHEL_GROUPS = ['rg-rhel-prod', 'rg-rhel-dev', 'rg-legacy'];

function rhel(offer: string, sku: string, version: string, exactVersion?: string): SimVmSpec['imageReference'] {
  return exactVersion ? { publisher: 'RedHat', offer, sku, version, exactVersion } : { publisher: 'RedHat', offer, sku, version };
}

function galleryImage(subscriptionId: string, image: string, version: string): SimVmSpec['imageReference'] {
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/corpGallery/images/${image}/versions/${version}`,
  };
}

function managedImage(subscriptionId: string, image: string): SimVmSpec['imageReference'] {
  return { id: `/subscriptions/${subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/images/${image}` };
}

function agent(r: SeededRandom, pinned?: string): Pick<SimVmSpec, 'vmAgentVersion'> {
  return { vmAgentVersion: pinned ?? r.pick(LINUX_AGENTS) };
}

// Gold image SKUs and versions as published under the private rhel-byos offer.
const BYOS_GOLD: ReadonlyArray<readonly [string, string, string]> = [
  ['rhel-lvm87', '8.7.2023021503', '8.7'],
  ['rhel-lvm88', '8.8.2023052318', '8.8'],
];

const ARCHETYPES: readonly Archetype[] = [
  {
    case: 'rhel7-payg',
    prefix: 'rhel7-app',
    weight: 2,
    groups: ['rg-legacy'],
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL', '7-LVM', r.pick(['7.9.2021121602', '7.9.2023080318'])),
      guestOsName: 'redhat',
      guestOsVersion: '7.9',
      ...agent(r, '2.9.1.1'),
    }),
  },
  {
    case: 'rhel79-payg',
    prefix: 'rhel79-db',
    weight: 1,
    groups: ['rg-legacy', 'rg-rhel-prod'],
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL', '7.9', '7.9.2022032206'),
      guestOsName: 'redhat',
      guestOsVersion: '7.9',
      ...agent(r),
    }),
  },
  {
    case: 'rhel8-payg',
    prefix: 'rhel8-web',
    weight: 6,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r) => {
      const [version, minor] = r.pick([
        ['8.8.2023081717', '8.8'],
        ['8.9.2024022615', '8.9'],
        ['8.10.2024112817', '8.10'],
      ]);
      return { imageReference: rhel('RHEL', '8-lvm-gen2', version), guestOsName: 'redhat', guestOsVersion: minor, ...agent(r) };
    },
  },
  {
    case: 'rhel810-payg-latest',
    prefix: 'rhel810-api',
    weight: 3,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL', '8_10', 'latest', '8.10.2025011519'),
      guestOsName: 'redhat',
      guestOsVersion: '8.10',
      ...agent(r),
    }),
  },
  {
    case: 'rhel9-payg',
    prefix: 'rhel9-app',
    weight: 8,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r) => {
      const [version, minor] = r.pick([
        ['9.4.2024061414', '9.4'],
        ['9.5.2025020315', '9.5'],
        ['9.2.2023072712', '9.2'],
      ]);
      return {
        imageReference: rhel('RHEL', '9-lvm-gen2', version),
        guestOsName: 'redhat',
        guestOsVersion: minor,
        ...agent(r, '2.15.1.3'),
      };
    },
  },
  {
    case: 'rhel94-payg-latest',
    prefix: 'rhel94-svc',
    weight: 3,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL', '9_4', 'latest', '9.4.2024100900'),
      guestOsName: 'redhat',
      guestOsVersion: '9.4',
      ...agent(r),
    }),
  },
  {
    case: 'rhel-sap-ha',
    prefix: 'sap-hana',
    weight: 2,
    groups: ['RG-SAP-HANA'],
    sizes: SAP_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL-SAP-HA', '810sapha-gen2', '8.10.2025011519'),
      guestOsName: 'redhat',
      guestOsVersion: '8.10',
      dataDisks: r.int(3, 6),
      ...agent(r),
    }),
  },
  {
    case: 'rhel-ha',
    prefix: 'rhel-ha',
    weight: 1,
    groups: ['rg-rhel-prod', 'RG-SAP-HANA'],
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL-HA', '9_4-gen2', '9.4.2024080610'),
      guestOsName: 'redhat',
      guestOsVersion: '9.4',
      ...agent(r),
    }),
  },
  {
    case: 'rhel-byos-gold',
    prefix: 'byos-db',
    weight: 3,
    groups: ['rg-rhel-byos'],
    sizes: GENERAL_SIZES,
    build: (r) => {
      const [sku, version, minor] = r.pick(BYOS_GOLD);
      return {
        imageReference: { publisher: 'redhat', offer: 'rhel-byos', sku, version },
        plan: { name: sku, publisher: 'redhat', product: 'rhel-byos' },
        guestOsName: 'redhat',
        guestOsVersion: minor,
        ...agent(r),
      };
    },
  },
  {
    case: 'rhel-payg-ahb-byos',
    prefix: 'rhel-ahb',
    weight: 2,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL', '8-lvm-gen2', '8.10.2024112817'),
      licenseType: 'RHEL_BYOS',
      guestOsName: 'redhat',
      guestOsVersion: '8.10',
      ...agent(r),
    }),
  },
  {
    case: 'rhel-byos-ahb-payg',
    prefix: 'byos-payg',
    weight: 1,
    groups: ['rg-rhel-byos'],
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: { publisher: 'redhat', offer: 'rhel-byos', sku: 'rhel-lvm87', version: '8.7.2023021503' },
      plan: { name: 'rhel-lvm87', publisher: 'redhat', product: 'rhel-byos' },
      licenseType: 'RHEL_BASE',
      guestOsName: 'redhat',
      guestOsVersion: '8.7',
      ...agent(r),
    }),
  },
  {
    case: 'rhel-custom-byos',
    prefix: 'custom-rhel',
    weight: 3,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r, { subscriptionId }) => {
      const [image, name, version] = r.pick([
        ['rhel8-hardened', 'rhel', '8.10'],
        ['rhel9-cis', 'redhat', '9.4'],
      ]);
      return {
        imageReference: galleryImage(subscriptionId, image, `1.0.${r.int(1, 9)}`),
        guestOsName: name,
        guestOsVersion: version,
        ...agent(r),
      };
    },
  },
  {
    case: 'rhel-custom-payg',
    prefix: 'custom-payg',
    weight: 1,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r, { subscriptionId }) => ({
      imageReference: managedImage(subscriptionId, 'rhel9-golden'),
      licenseType: 'RHEL_BASE',
      guestOsName: 'redhat',
      guestOsVersion: '9.4',
      ...agent(r),
    }),
  },
  {
    case: 'custom-unknown',
    prefix: 'legacy-app',
    weight: 1,
    groups: ['rg-legacy'],
    sizes: GENERAL_SIZES,
    build: (_r, { subscriptionId }) => ({
      imageReference: galleryImage(subscriptionId, 'linux-base', '2.3.0'),
      guestOsName: null,
      guestOsVersion: null,
      vmAgentVersion: null,
    }),
  },
  {
    case: 'windows-ahb',
    prefix: 'win-iis',
    weight: 3,
    groups: ['Rg-Windows-Apps'],
    sizes: WINDOWS_SIZES,
    // Exposed for RDP, with a Static address, so the estate always has one.
    build: () => ({ ...windows('Windows_Server'), publicIp: true }),
  },
  {
    case: 'windows-payg',
    prefix: 'win-app',
    weight: 2,
    groups: ['Rg-Windows-Apps'],
    sizes: WINDOWS_SIZES,
    build: () => windows(null),
  },
  {
    case: 'ubuntu',
    prefix: 'ubuntu-ci',
    weight: 3,
    groups: ['rg-ubuntu-ci'],
    sizes: ['Standard_B2s', 'Standard_D2s_v5'],
    build: (r) => ({
      imageReference: {
        publisher: 'Canonical',
        offer: '0001-com-ubuntu-server-jammy',
        sku: '22_04-lts-gen2',
        version: 'latest',
        exactVersion: '22.04.202406140',
      },
      guestOsName: 'ubuntu',
      guestOsVersion: '22.04',
      ...agent(r),
    }),
  },
  {
    case: 'rhel-stopped',
    prefix: 'rhel9-batch',
    weight: 2,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL', '9-lvm-gen2', '9.4.2024061414'),
      powerState: 'stopped',
      guestOsName: 'redhat',
      guestOsVersion: '9.4',
      ...agent(r),
    }),
  },
  {
    case: 'rhel-deallocated',
    prefix: 'rhel8-spare',
    weight: 3,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL', '8-lvm-gen2', '8.10.2024112817'),
      powerState: 'deallocated',
      // What the guest reported before deallocation; Azure shows null until it runs again.
      guestOsName: 'redhat',
      guestOsVersion: '8.10',
      publicIp: true,
      ...agent(r),
    }),
  },
  {
    case: 'sles',
    prefix: 'sles-app',
    weight: 1,
    groups: ['rg-legacy'],
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: { publisher: 'SUSE', offer: 'sles-15-sp5', sku: 'gen2', version: '2024.06.05' },
      guestOsName: 'sles',
      guestOsVersion: '15.5',
      ...agent(r),
    }),
  },
  {
    case: 'rhel-transitioning',
    prefix: 'rhel9-flux',
    weight: 1,
    groups: RHEL_GROUPS,
    sizes: GENERAL_SIZES,
    build: (r) => ({
      imageReference: rhel('RHEL', '9-lvm-gen2', '9.4.2024061414'),
      powerState: r.pick<SimPowerState>(['starting', 'stopping', 'deallocating']),
      guestOsName: 'redhat',
      guestOsVersion: '9.4',
      ...agent(r),
    }),
  },
];

function windows(licenseType: string | null): Partial<SimVmSpec> {
  return {
    osType: 'Windows',
    imageReference: {
      publisher: 'MicrosoftWindowsServer',
      offer: 'WindowsServer',
      sku: '2022-datacenter-azure-edition',
      version: 'latest',
      exactVersion: '20348.2849.241106',
    },
    licenseType,
    guestOsName: 'Windows Server 2022 Datacenter Azure Edition',
    guestOsVersion: 'Microsoft Windows NT 10.0.20348.0',
    vmAgentVersion: '2.7.41491.1102',
  };
}

/** The cases that must appear at least once; the rest of the estate is drawn by weight. */
export const MANDATORY_CASES: readonly EstateCase[] = ARCHETYPES.filter((a) => a.case !== 'rhel-transitioning' && a.case !== 'sles').map(
  (a) => a.case,
);

/**
 * Generates a realistic, deterministic estate: every mandatory case once first, then VMs drawn
 * by weight. O(vmCount); names carry the index so they are unique per subscription.
 */
export class EstateGenerator {
  constructor(private readonly seed: number) {}

  generate(subscriptionId: string, subscriptionIndex: number, vmCount: number): GeneratedEstate {
    const r = new SeededRandom(this.seed).fork(subscriptionIndex + 1);
    const mandatory = ARCHETYPES.filter((a) => MANDATORY_CASES.includes(a.case));
    const weighted = ARCHETYPES.map((a) => [a, a.weight] as const);
    const vms: GeneratedVm[] = [];
    for (let i = 0; i < vmCount; i++) {
      const archetype = i < mandatory.length ? mandatory[i] : r.weighted(weighted);
      vms.push(this.vm(r, archetype, i, subscriptionId));
    }
    // Make sure both reference casings occur.
    if (vms[0]) vms[0].hints.upperCaseReferences = true;
    if (vms[1]) vms[1].hints.upperCaseReferences = false;
    const mainRegion = RESOURCE_GROUPS['rg-rhel-prod'];
    return {
      vms,
      resourceGroups: [
        { name: 'NetworkWatcherRG', location: mainRegion },
        { name: 'rg-images', location: mainRegion, tags: { purpose: 'golden-images' } },
      ],
      orphanDisks: [
        { name: 'old-data-disk-01', resourceGroup: 'rg-rhel-dev', location: RESOURCE_GROUPS['rg-rhel-dev'], sizeGB: 128 },
        { name: 'restore-tmp-os', resourceGroup: 'rg-legacy', location: RESOURCE_GROUPS['rg-legacy'], sizeGB: 64, skuName: 'Premium_LRS' },
      ],
      orphanPublicIps: [{ name: 'pip-unused', resourceGroup: 'rg-rhel-prod', location: mainRegion }],
    };
  }

  private vm(r: SeededRandom, archetype: Archetype, index: number, subscriptionId: string): GeneratedVm {
    const built = archetype.build(r, { subscriptionId });
    const resourceGroup = r.pick(archetype.groups);
    const home = RESOURCE_GROUPS[resourceGroup];
    const spec: SimVmSpec = {
      name: `${archetype.prefix}-${String(index + 1).padStart(3, '0')}`,
      resourceGroup,
      location: r.chance(0.85) ? home : r.pick(LOCATIONS),
      vmSize: r.pick(archetype.sizes),
      osType: 'Linux',
      licenseType: null,
      plan: null,
      powerState: 'running',
      publicIp: r.chance(0.3),
      dataDisks: r.weighted([
        [0, 5],
        [1, 3],
        [2, 2],
        [3, 1],
      ]),
      tags: this.tags(r, resourceGroup),
      // As the portal creates them: the OS disk and the NIC go with the VM, data disks stay.
      deleteOptions: { osDisk: 'Delete', dataDisks: 'Detach', nics: 'Delete' },
      ...built,
    };
    const hints: VmPlacementHints = {};
    // The deallocated case shows what happens to a Dynamic public IP (its address is released).
    if (archetype.case === 'rhel-deallocated') hints.publicIpAllocation = 'Dynamic';
    if (archetype.case === 'windows-ahb') hints.publicIpAllocation = 'Static';
    return { case: archetype.case, spec, hints };
  }

  private tags(r: SeededRandom, resourceGroup: string): Record<string, string> | undefined {
    if (r.chance(0.2)) return undefined;
    const tags: Record<string, string> = {
      env: /prod|sap|byos/i.test(resourceGroup) ? 'prod' : r.pick(['dev', 'test', 'prod']),
      owner: r.pick(['team-platform', 'team-sap', 'team-web', 'team-data']),
    };
    if (r.chance(0.5)) tags.costCenter = `CC-${r.int(1000, 1099)}`;
    if (r.chance(0.2)) tags['ansible-group'] = r.pick(['webservers', 'dbservers', 'patch-wave-1', 'patch-wave-2']);
    return tags;
  }
}
