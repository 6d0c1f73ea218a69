import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphOfChunks, licenseModelFor, type InventoryChunk, type InventoryGraph, type LicenseModel, type VmRecord } from '@hybridforms/core';
import { powerStateOf } from './azure-inventory.parser.js';
import { parseSubscriptionPages } from './azure-inventory.stream-parser.js';
import type { AzureSubscriptionInventory } from './azure-raw-inventory.js';

const FIXTURES = join(process.cwd(), 'libs/providers/azure/src/__fixtures__');
const SUB = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

/** Fixtures are recorded in the SDK's flattened shape; JSON leaves dates as strings. */
function fixture(name: string): AzureSubscriptionInventory {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as AzureSubscriptionInventory;
}

async function* replay(chunks: InventoryChunk[]): AsyncGenerator<InventoryChunk> {
  yield* chunks;
}

/** The records of what was read of some subscriptions, through the stream parser, one page per list. */
function graphOf(subscriptions: AzureSubscriptionInventory[]): Promise<InventoryGraph> {
  return graphOfChunks(replay(subscriptions.flatMap((raw) => parseSubscriptionPages(raw))));
}

const vmId = (rg: string, name: string) => `/subscriptions/${SUB}/resourcegroups/${rg}/providers/microsoft.compute/virtualmachines/${name}`;

describe('Azure inventory records (recorded subscription)', () => {
  let graph: InventoryGraph;
  beforeAll(async () => {
    graph = await graphOf([fixture('subscription-full.json')]);
  });
  // With the license model the persister decides for a VM seen for the first time.
  const vm = (name: string): VmRecord & { licenseModel: LicenseModel | null } => {
    const found = graph.vms.find((v) => v.name === name);
    if (!found) throw new Error(`no vm ${name}`);
    return { ...found, licenseModel: licenseModelFor(found.osFamily, found.rhelLicenseModel) };
  };

  it('emits every VM once, keyed by its lower-cased resource id', () => {
    expect(graph.vms).toHaveLength(14);
    expect(new Set(graph.vms.map((v) => v.nativeId)).size).toBe(14);
    expect(vm('rhel-payg-01').nativeId).toBe(vmId('rg-prod', 'rhel-payg-01'));
    for (const record of [...graph.vms, ...graph.nics, ...graph.disks, ...graph.images, ...graph.networks, ...graph.resourceGroups]) {
      expect(record.nativeId).toBe(record.nativeId.toLowerCase());
    }
  });

  it('joins each VM with its instance view by id, whatever the casing or the order', () => {
    // rhel-payg-01's status entry has an upper-cased id; rhel-payg-latest-02 lists PowerState first.
    expect(vm('rhel-payg-01')).toMatchObject({ powerState: 'running', guestAgentVersion: '2.10.0.8', osSource: 'guest-agent' });
    expect(vm('rhel-payg-latest-02').powerState).toBe('deallocated');
    expect(vm('win-custom-12').powerState).toBe('stopped');
    expect(vm('rhel-nostatus-14')).toMatchObject({ powerState: 'unknown', guestAgentVersion: null });
  });

  it('keeps the basic facts of a VM: uid, size with cores and memory, tags, location, group, creation time', () => {
    expect(vm('rhel-payg-01')).toMatchObject({
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      size: 'Standard_D2s_v3',
      cpuCount: 2,
      memoryMb: 8192,
      location: 'westeurope',
      resourceGroup: 'rg-prod',
      subscriptionId: SUB,
      tags: { env: 'prod', app: 'billing' },
      hostNativeId: null,
    });
    expect(vm('rhel-payg-01').createdAtProvider).toEqual(new Date('2024-03-11T09:15:42.1234567+00:00'));
    expect(vm('custom-rhel-07')).toMatchObject({ size: 'Standard_D4s_v5', cpuCount: 4, memoryMb: 16384, location: 'northeurope', tags: {} });
    expect(vm('rhel-sap-ha-03')).toMatchObject({ cpuCount: 8, memoryMb: 65536 });
  });

  it.each([
    ['rhel-payg-01', { osFamily: 'rhel', osVersion: '9.4', osSource: 'guest-agent', licenseModel: 'payg', licenseType: null }],
    ['rhel-payg-latest-02', { osFamily: 'rhel', osVersion: '8.8', osSource: 'image', licenseModel: 'payg' }],
    ['rhel-sap-ha-03', { osFamily: 'rhel', osVersion: '8.10', osSource: 'image', licenseModel: 'payg' }],
    ['rhel-byos-gold-04', { osFamily: 'rhel', osVersion: '8.7', osSource: 'guest-agent', licenseModel: 'byos' }],
    ['rhel-payg-ahb-byos-05', { osFamily: 'rhel', osVersion: '8.10', licenseModel: 'byos', licenseType: 'RHEL_BYOS' }],
    ['rhel-byos-ahb-payg-06', { osFamily: 'rhel', osVersion: '8.9', licenseModel: 'payg', licenseType: 'RHEL_BASE' }],
    ['custom-rhel-07', { osFamily: 'rhel', osVersion: '9.2', osSource: 'guest-agent', licenseModel: 'byos', licenseType: null }],
    ['custom-nothing-08', { osFamily: 'unknown', osName: null, osVersion: null, osSource: null, licenseModel: null, rhelLicenseModel: 'byos' }],
    ['win-09', { osFamily: 'windows', osSource: 'guest-agent', osVersion: 'Microsoft Windows NT 10.0.20348.0', licenseModel: null, licenseType: 'Windows_Server' }],
    ['ubuntu-10', { osFamily: 'linux-other', osName: 'ubuntu', osVersion: '22.04', osSource: 'guest-agent', licenseModel: null }],
    ['ubuntu-off-11', { osFamily: 'linux-other', osVersion: null, osSource: 'image' }],
    ['win-custom-12', { osFamily: 'windows', osSource: 'disk', licenseModel: null }],
    ['custom-rhel-saph-13', { osFamily: 'rhel', osVersion: '8.6', licenseModel: 'payg', licenseType: 'RHEL_SAPHA' }],
    ['rhel-nostatus-14', { osFamily: 'rhel', osVersion: '7.9', osSource: 'image', licenseModel: 'payg' }],
  ])('classifies %s', (name, expected) => {
    expect(vm(name)).toMatchObject(expected);
  });

  it('joins NICs by id case-insensitively and resolves public IPs through the ip configurations', () => {
    const nic = graph.nics.find((n) => n.name === 'rhel-payg-01-nic');
    expect(nic).toMatchObject({
      nativeId: `/subscriptions/${SUB}/resourcegroups/rg-prod/providers/microsoft.network/networkinterfaces/rhel-payg-01-nic`,
      vmNativeId: vmId('rg-prod', 'rhel-payg-01'),
      primary: true,
      privateIps: [expect.stringMatching(/^10\.20\.1\.\d+$/)],
      publicIps: ['20.86.113.40'],
      macAddress: expect.stringMatching(/^00-0D-3A-/),
      networkNativeId: `/subscriptions/${SUB}/resourcegroups/rg-network/providers/microsoft.network/virtualnetworks/vnet-weu/subnets/snet-app`,
    });
    expect(graph.nics.find((n) => n.name === 'win-09-nic')?.publicIps).toEqual(['52.174.12.9']);
  });

  it('yields no address for a Dynamic public IP that is not allocated', () => {
    expect(graph.nics.find((n) => n.name === 'rhel-sap-ha-03-nic')?.publicIps).toEqual([]);
  });

  it('gives every NIC its VM', () => {
    expect(graph.nics).toHaveLength(14);
    for (const nic of graph.nics) expect(graph.vms.map((v) => v.nativeId)).toContain(nic.vmNativeId);
  });

  it('lists disks with role, size, sku and VM, including an unattached one', () => {
    const vmDisks = graph.disks.filter((d) => d.vmNativeId === vmId('rg-prod', 'rhel-payg-01'));
    expect(vmDisks.map((d) => d.role).sort()).toEqual(['data', 'os']);
    expect(vmDisks.find((d) => d.role === 'os')).toMatchObject({ sizeGb: 64, storageType: 'Premium_LRS', location: 'westeurope' });
    expect(vmDisks.find((d) => d.role === 'data')).toMatchObject({ sizeGb: 128, name: 'rhel-payg-01-data0' });
    expect(graph.disks.find((d) => d.name === 'scratch-disk')).toMatchObject({ vmNativeId: null, role: 'data', sizeGb: 256, storageType: 'Standard_LRS' });
    expect(graph.disks.find((d) => d.vmNativeId === vmId('rg-win', 'win-09'))).toMatchObject({ sizeGb: 127, storageType: 'StandardSSD_LRS' });
    expect(graph.disks).toHaveLength(16);
  });

  it('lists each image in use once: marketplace by URN (exactVersion behind latest), custom by id', () => {
    const ids = graph.images.map((i) => i.nativeId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'marketplace:redhat:rhel:9-lvm-gen2:9.4.2024061414',
        'marketplace:redhat:rhel:8-lvm-gen2:8.8.2023081717',
        'marketplace:redhat:rhel-sap-ha:810sapha-gen2:latest',
        'marketplace:redhat:rhel-byos:rhel-lvm87:8.7.2023021503',
        `/subscriptions/${SUB}/resourcegroups/rg-images/providers/microsoft.compute/galleries/gal_corp/images/rhel9-hardened/versions/1.4.0`,
      ]),
    );
    expect(vm('rhel-payg-01').imageNativeId).toBe('marketplace:redhat:rhel:9-lvm-gen2:9.4.2024061414');
    const ubuntu = graph.images.find((i) => i.offer === '0001-com-ubuntu-server-jammy');
    expect(ubuntu).toMatchObject({ kind: 'marketplace', publisher: 'Canonical', osFamily: 'linux-other', osSource: 'image' });
    const gallery = graph.images.find((i) => i.kind === 'custom' && i.name === 'rhel9-hardened/1.4.0');
    expect(gallery).toMatchObject({ osFamily: 'unknown', osSource: null, publisher: null });
    expect(graph.images.find((i) => i.sku === '810sapha-gen2')).toMatchObject({ osFamily: 'rhel', osVersion: '8.10' });
    // Both custom RHEL VMs use the same gallery image: one record.
    expect(graph.images.filter((i) => i.name === 'rhel9-hardened/1.4.0')).toHaveLength(1);
  });

  it('derives the networks from the NIC subnets', () => {
    expect(graph.networks).toHaveLength(2);
    expect(graph.networks).toEqual(
      expect.arrayContaining([
        { nativeId: `/subscriptions/${SUB}/resourcegroups/rg-network/providers/microsoft.network/virtualnetworks/vnet-weu/subnets/snet-app`, name: 'vnet-weu/snet-app', kind: 'subnet', location: 'westeurope' },
        { nativeId: `/subscriptions/${SUB}/resourcegroups/rg-network/providers/microsoft.network/virtualnetworks/vnet-neu/subnets/snet-db`, name: 'vnet-neu/snet-db', kind: 'subnet', location: 'northeurope' },
      ]),
    );
  });

  it('lists the resource groups with their tags', () => {
    expect(graph.resourceGroups).toHaveLength(6);
    expect(graph.resourceGroups.find((g) => g.name === 'rg-apps')).toEqual({ nativeId: `/subscriptions/${SUB}/resourcegroups/rg-apps`, name: 'rg-apps', location: 'northeurope', tags: { 'cost-center': '4711' } });
    expect(graph.resourceGroups.find((g) => g.name === 'rg-sap')?.tags).toEqual({});
  });

  it('returns no part errors and no notFound of its own', () => {
    expect(graph.partErrors).toEqual([]);
    expect(graph.notFound).toEqual([]);
    expect(graph.hosts).toEqual([]);
  });
});

describe('Azure inventory records (other shapes)', () => {
  it('reads the instance view a targeted GET embeds in the VM', async () => {
    const graph = await graphOf([fixture('subscription-targeted.json')]);
    expect(graph.vms).toHaveLength(1);
    expect(graph.vms[0]).toMatchObject({ name: 'rhel-payg-01', powerState: 'running', osSource: 'guest-agent', osVersion: '9.4', cpuCount: 2 });
    expect(graph.nics[0].publicIps).toEqual(['20.86.113.40']);
    expect(graph.disks).toHaveLength(2);
    expect(graph.resourceGroups).toEqual([]);
  });

  it('merges subscriptions and lists a shared marketplace image once', async () => {
    const one = fixture('subscription-full.json');
    const other = JSON.parse(JSON.stringify(one).replaceAll(SUB, '9a1b2c3d-0000-4000-8000-00000000abcd')) as AzureSubscriptionInventory;
    const graph = await graphOf([one, other]);
    expect(graph.vms).toHaveLength(28);
    expect(graph.images.filter((i) => i.nativeId === 'marketplace:redhat:rhel:9-lvm-gen2:9.4.2024061414')).toHaveLength(1);
    expect(new Set(graph.vms.map((v) => v.subscriptionId))).toEqual(new Set([SUB, '9a1b2c3d-0000-4000-8000-00000000abcd']));
  });

  it('keeps the disks a VM names when the disk list lacks them', async () => {
    const raw = fixture('subscription-targeted.json');
    const graph = await graphOf([{ ...raw, disks: [] }]);
    expect(graph.disks.map((d) => d.role).sort()).toEqual(['data', 'os']);
    expect(graph.disks.find((d) => d.role === 'os')).toMatchObject({ sizeGb: 64, storageType: 'Premium_LRS', vmNativeId: vmId('rg-prod', 'rhel-payg-01') });
  });

  it('leaves cores and memory null for a size the list does not know', async () => {
    const raw = fixture('subscription-targeted.json');
    const graph = await graphOf([{ ...raw, vmSizes: [] }]);
    expect(graph.vms[0]).toMatchObject({ size: 'Standard_D2s_v3', cpuCount: null, memoryMb: null });
  });

  it('reads the power state by code prefix, never by position', () => {
    expect(powerStateOf({ statuses: [{ code: 'PowerState/deallocating' }, { code: 'ProvisioningState/updating' }] })).toBe('deallocating');
    expect(powerStateOf({ statuses: [{ code: 'ProvisioningState/succeeded' }] })).toBe('unknown');
    expect(powerStateOf({ statuses: [{ code: 'PowerState/hibernated' }] })).toBe('unknown');
    expect(powerStateOf(undefined)).toBe('unknown');
  });

  it('does not link a NIC or disk to a VM the graph does not hold', async () => {
    const raw = fixture('subscription-full.json');
    const graph = await graphOf([{ ...raw, virtualMachines: [] }]);
    expect(graph.vms).toEqual([]);
    expect(graph.nics.every((n) => n.vmNativeId === null)).toBe(true);
    expect(graph.disks.every((d) => d.vmNativeId === null)).toBe(true);
  });
});
