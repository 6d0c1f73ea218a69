import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError, ProviderErrorCode, licenseModelFor, type LicenseModel, type VmRecord } from '@hybridforms/core';
import { formatMacAddress, parseHyperVInventory, switchNativeId, type HyperVInventory } from './hyperv-inventory.parser.js';

// inventory.ps51.json / inventory.ps7.json: HyperVHostSimulator.start({ vmCount: 8, seed 1 })
// inventoryText() in each serialisation (enums as integers and \/Date(ms)\/ in 5.1, names and
// ISO dates in 7). Eight VMs: rhel9, rhel8, rhel7, rhel8 without KVP, Windows, Ubuntu (all
// running), rhel9 Off, Windows Saved.
const FIXTURES = join(process.cwd(), 'libs/providers/hyperv/src/__fixtures__');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const HOST = 'hyperv:hv01';
const COMMAND = 'hyperv-inventory';
const GIB = 1024 ** 3;

type Json = Record<string, unknown>;

const parse = (stdout: string): HyperVInventory => parseHyperVInventory(stdout, HOST, COMMAND);
// With the license model the persister decides for a VM seen for the first time.
const byName = (inventory: HyperVInventory, name: string): VmRecord & { licenseModel: LicenseModel | null } => {
  const vm = inventory.vms.find((candidate) => candidate.name === name);
  if (!vm) throw new Error(`no VM ${name}`);
  return { ...vm, licenseModel: licenseModelFor(vm.osFamily, vm.rhelLicenseModel) };
};

/** The 5.1 fixture as an object, to derive documents the eight-VM estate does not contain. */
function document51(): { host: Json; switches: Json[]; vms: Json[] } {
  return JSON.parse(fixture('inventory.ps51.json')) as { host: Json; switches: Json[]; vms: Json[] };
}

function thrown(fn: () => unknown): ProviderError {
  try {
    fn();
  } catch (error) {
    if (ProviderError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

describe('parseHyperVInventory', () => {
  const ps51 = parse(fixture('inventory.ps51.json'));
  const ps7 = parse(fixture('inventory.ps7.json'));

  it('parses every VM with its host, keyed by the lower-case VMId', () => {
    const raw = document51();
    expect(ps51.vms).toHaveLength(8);
    expect(ps51.vms.map((vm) => vm.nativeId)).toEqual(raw.vms.map((vm) => String(vm.VMId).toLowerCase()));
    expect(ps51.vms.every((vm) => vm.uid === vm.nativeId && vm.hostNativeId === HOST)).toBe(true);
    expect(ps51.host).toEqual({
      nativeId: HOST,
      name: 'HV01',
      kind: 'hyperv',
      osName: 'Microsoft Windows Server 2022 Datacenter',
      osVersion: '10.0.20348',
      cpuCount: 32,
      memoryMb: 384 * 1024,
      hypervisorVersion: '10.0.20348.1',
      location: null,
    });
  });

  it('reads the same graph from Windows PowerShell 5.1 and PowerShell 7 output', () => {
    expect(ps7).toEqual(ps51);
  });

  it('maps the fields of a running RHEL 9 VM', () => {
    const vm = byName(ps51, 'rhel9-db01');
    expect(vm).toEqual({
      nativeId: '0ee2406f-6909-4993-a4c6-6084077578db',
      uid: '0ee2406f-6909-4993-a4c6-6084077578db',
      name: 'rhel9-db01',
      hostNativeId: HOST,
      imageNativeId: null,
      location: null,
      resourceGroup: null,
      subscriptionId: null,
      size: null,
      cpuCount: 1,
      memoryMb: 2048,
      powerState: 'running',
      osFamily: 'rhel',
      osName: 'Red Hat Enterprise Linux',
      // The simulator's KVP has no OSMajorVersion/OSBuildNumber, and the kernel in OSVersion is
      // never read as the RHEL version: see the real-host KVP case below for versions.
      osVersion: '9.6',
      osSource: 'kvp',
      licenseModel: 'byos',
      rhelLicenseModel: 'byos',
      licenseType: null,
      guestAgentVersion: '3.1',
      tags: {},
      details: {
        generation: 2,
        configurationVersion: '10.0',
        dynamicMemory: false,
        memoryStartupMb: 2048,
        notes: null,
        fullyQualifiedDomainName: 'rhel9-db01.corp.example.com',
        integrationServices: [
          { name: 'Guest Service Interface', enabled: false, status: null },
          { name: 'Heartbeat', enabled: true, status: 'OK' },
          { name: 'Key-Value Pair Exchange', enabled: true, status: 'OK' },
          { name: 'Shutdown', enabled: true, status: 'OK' },
          { name: 'Time Synchronization', enabled: true, status: 'OK' },
          { name: 'VSS', enabled: true, status: 'OK' },
        ],
      },
      createdAtProvider: new Date('2021-09-24T18:57:42.335Z'),
    });
  });

  it('classifies RHEL 7, 8 and 9 guests with versions from the KVP items a real daemon sends', () => {
    // hv_kvp_daemon puts os-release VERSION_ID in OSMajorVersion and `uname -r` in OSBuildNumber;
    // the script forwards every intrinsic item.
    const doc = document51();
    const extra: Record<string, Json> = {
      'rhel9-db01': { OSMajorVersion: '9.6', OSMinorVersion: '', OSBuildNumber: '5.14.0-570.22.1.el9_6.x86_64' },
      'rhel8-web02': { OSMajorVersion: '8.10', OSMinorVersion: '', OSBuildNumber: '4.18.0-553.el8_10.x86_64' },
      // RHEL 7's daemon may not send VERSION_ID: the kernel release still says el7.
      'rhel7-cache03': { OSMajorVersion: '', OSBuildNumber: '3.10.0-1160.el7.x86_64' },
    };
    for (const vm of doc.vms) vm.Kvp = { ...(vm.Kvp as Json | null), ...extra[String(vm.VMName)] };
    const inventory = parse(JSON.stringify(doc));
    const rhel = ['rhel9-db01', 'rhel8-web02', 'rhel7-cache03'].map((name) => byName(inventory, name));
    expect(rhel.map(({ osFamily, osName, osVersion, osSource, licenseModel }) => ({ osFamily, osName, osVersion, osSource, licenseModel }))).toEqual([
      { osFamily: 'rhel', osName: 'Red Hat Enterprise Linux', osVersion: '9.6', osSource: 'kvp', licenseModel: 'byos' },
      { osFamily: 'rhel', osName: 'Red Hat Enterprise Linux', osVersion: '8.10', osSource: 'kvp', licenseModel: 'byos' },
      { osFamily: 'rhel', osName: 'Red Hat Enterprise Linux', osVersion: '7', osSource: 'kvp', licenseModel: 'byos' },
    ]);
  });

  it('classifies the simulated RHEL 7, 8 and 9 guests as rhel from KVP', () => {
    for (const name of ['rhel9-db01', 'rhel8-web02', 'rhel7-cache03']) {
      expect(byName(ps51, name)).toMatchObject({ osFamily: 'rhel', osName: 'Red Hat Enterprise Linux', osSource: 'kvp', licenseModel: 'byos' });
    }
  });

  it('says unknown for a RHEL guest without KVP, and for a VM that is off', () => {
    for (const name of ['rhel8-batch04', 'rhel9-batch07']) {
      expect(byName(ps51, name)).toMatchObject({
        osFamily: 'unknown',
        osName: null,
        osVersion: null,
        osSource: null,
        licenseModel: null,
        rhelLicenseModel: 'byos',
        guestAgentVersion: null,
      });
    }
  });

  it('classifies Windows and Ubuntu guests', () => {
    expect(byName(ps51, 'win-build05')).toMatchObject({
      osFamily: 'windows',
      osName: 'Windows Server 2019 Standard',
      osVersion: '10.0.17763',
      osSource: 'kvp',
      licenseModel: null,
      guestAgentVersion: '10.0.17763.1',
    });
    expect(byName(ps51, 'ubuntu-batch06')).toMatchObject({ osFamily: 'linux-other', osName: 'Ubuntu', osSource: 'kvp', licenseModel: null });
  });

  it('maps Off to stopped and Saved to suspended', () => {
    expect(byName(ps51, 'rhel9-batch07').powerState).toBe('stopped');
    expect(byName(ps51, 'win-web08').powerState).toBe('suspended');
  });

  // The eight-VM estate has no paused VM: State as 5.1 (integer) and 7 (name) would print it.
  it.each([9, 'Paused'])('maps Paused (%p) to suspended', (paused) => {
    const doc = document51();
    doc.vms[1].State = paused;
    expect(parse(JSON.stringify(doc)).vms[1].powerState).toBe('suspended');
  });

  it('takes startup memory, or what a running VM was assigned, in MiB', () => {
    expect(byName(ps51, 'rhel8-web02').memoryMb).toBe(3072); // dynamic memory, running: assigned
    expect(byName(ps51, 'rhel9-batch07').memoryMb).toBe(4096); // off: startup
    expect(byName(ps51, 'win-web08').memoryMb).toBe(16384); // saved: startup
    expect(byName(ps51, 'rhel9-db01').cpuCount).toBe(1);
  });

  it('links NICs to their VM and switch, with Azure-style MACs and every guest address', () => {
    expect(ps51.nics).toHaveLength(8);
    const vm = byName(ps51, 'rhel9-db01');
    expect(ps51.nics.find((nic) => nic.vmNativeId === vm.nativeId)).toEqual({
      nativeId: `${vm.nativeId}/nic/00155d0a0000`,
      vmNativeId: vm.nativeId,
      name: 'Network Adapter',
      macAddress: '00-15-5D-0A-00-00',
      primary: true,
      privateIps: ['10.20.0.4', 'fe80::215:5dff:fe0a:0'],
      publicIps: [],
      networkNativeId: 'hyperv:hv01/switch/vswitch-lan',
    });
    const noKvp = byName(ps51, 'rhel8-batch04');
    expect(ps51.nics.find((nic) => nic.vmNativeId === noKvp.nativeId)).toMatchObject({
      privateIps: [],
      networkNativeId: 'hyperv:hv01/switch/vswitch-nat',
    });
    const networkIds = new Set(ps51.networks.map((network) => network.nativeId));
    expect(ps51.nics.every((nic) => nic.networkNativeId !== null && networkIds.has(nic.networkNativeId))).toBe(true);
  });

  it('lists the switches as networks', () => {
    expect(ps51.networks).toEqual([
      { nativeId: 'hyperv:hv01/switch/vswitch-lan', name: 'vSwitch-LAN', kind: 'switch', location: null },
      { nativeId: 'hyperv:hv01/switch/vswitch-nat', name: 'vSwitch-NAT', kind: 'switch', location: null },
    ]);
  });

  it('reads disks with their VHD type and size in GiB', () => {
    expect(ps51.disks).toHaveLength(8);
    const vm = byName(ps51, 'win-build05');
    expect(ps51.disks.find((disk) => disk.vmNativeId === vm.nativeId)).toEqual({
      nativeId: `${vm.nativeId}/disk/c:\\programdata\\microsoft\\windows\\virtual hard disks\\win-build05.vhdx`,
      vmNativeId: vm.nativeId,
      name: 'win-build05.vhdx',
      role: 'os',
      sizeGb: 127,
      storageType: 'Dynamic',
      location: null,
    });
    expect(ps51.disks.find((disk) => disk.vmNativeId === byName(ps51, 'rhel9-db01').nativeId)).toMatchObject({ sizeGb: 64, storageType: 'Differencing' });
  });

  it('gives the first drive the os role and the others data', () => {
    const doc = document51();
    const vm = doc.vms[0];
    vm.HardDrives = [vm.HardDrives, { Path: 'D:\\VHD\\rhel9-db01_data.vhdx', VhdType: 2, Size: 256 * GIB, FileSize: 256 * GIB + 4 * 1024 ** 2 }];
    const disks = parse(JSON.stringify(doc)).disks.filter((disk) => disk.vmNativeId === String(vm.VMId));
    expect(disks.map(({ role, sizeGb, storageType, name }) => ({ role, sizeGb, storageType, name }))).toEqual([
      { role: 'os', sizeGb: 64, storageType: 'Differencing', name: 'rhel9-db01_diff.vhdx' },
      { role: 'data', sizeGb: 256, storageType: 'Fixed', name: 'rhel9-db01_data.vhdx' },
    ]);
  });

  it('parses a one-VM document whose lists are bare objects', () => {
    const doc = document51();
    const text = JSON.stringify({ host: doc.host, switches: doc.switches[0], vms: doc.vms[0] });
    const inventory = parse(text);
    expect(inventory.vms.map((vm) => vm.name)).toEqual(['rhel9-db01']);
    expect(inventory.networks.map((network) => network.name)).toEqual(['vSwitch-LAN']);
    expect(inventory.nics).toHaveLength(1);
    expect(inventory.disks).toHaveLength(1);
  });

  it('parses an empty host whose lists are null', () => {
    const text = `${JSON.stringify({ host: document51().host, switches: null, vms: null })}\r\n`;
    const inventory = parse(text);
    expect(inventory.host.name).toBe('HV01');
    expect(inventory).toMatchObject({ vms: [], nics: [], disks: [], networks: [] });
  });

  it('reads a disconnected adapter and a drive without a VHD', () => {
    const doc = document51();
    doc.vms[0].NetworkAdapters = { MacAddress: '000000000000', SwitchName: null, IPAddresses: [] };
    doc.vms[0].HardDrives = { Path: null, VhdType: null, Size: null, FileSize: null };
    const inventory = parse(JSON.stringify(doc));
    const vmId = String(doc.vms[0].VMId);
    expect(inventory.nics.find((nic) => nic.vmNativeId === vmId)).toMatchObject({ nativeId: `${vmId}/nic/adapter0`, networkNativeId: null });
    expect(inventory.disks.find((disk) => disk.vmNativeId === vmId)).toMatchObject({ nativeId: `${vmId}/disk/passthrough0`, sizeGb: null, storageType: null });
  });

  it('rejects truncated JSON as a malformed response naming the command', () => {
    const text = fixture('inventory.ps51.json');
    const error = thrown(() => parse(text.slice(0, Math.floor(text.length / 2))));
    expect(error.code).toBe(ProviderErrorCode.MalformedResponse);
    expect(error.message).toContain(COMMAND);
  });

  it('rejects a document without a host, and a VM without a VMId', () => {
    expect(thrown(() => parse('[]')).code).toBe(ProviderErrorCode.MalformedResponse);
    expect(thrown(() => parse('')).code).toBe(ProviderErrorCode.MalformedResponse);
    const doc = document51();
    delete doc.vms[2].VMId;
    const error = thrown(() => parse(JSON.stringify(doc)));
    expect(error.code).toBe(ProviderErrorCode.MalformedResponse);
    expect(error.message).toContain('VM 2');
  });
});

describe('Hyper-V inventory helpers', () => {
  it('formats MACs like Azure', () => {
    expect(formatMacAddress('00155d0a1b2c')).toBe('00-15-5D-0A-1B-2C');
    expect(formatMacAddress('00-15-5D-0A-1B-2C')).toBe('00-15-5D-0A-1B-2C');
    expect(formatMacAddress('nope')).toBeNull();
    expect(formatMacAddress(null)).toBeNull();
  });

  it('keys switches under their host', () => {
    expect(switchNativeId('hyperv:hv01', 'vSwitch-LAN')).toBe('hyperv:hv01/switch/vswitch-lan');
  });
});
