import {
  ProviderError,
  ProviderErrorCode,
  type DiskRecord,
  type HostRecord,
  type NetworkRecord,
  type NicRecord,
  type VmRecord,
} from '@hybridforms/core';
import { classifyKvpGuest, readKvpItems } from './kvp-classification.js';
import { parsePowerShellDate, parsePowerShellJson, powerStateFromVmState, type PowerShellRecord } from './powershell-output.parser.js';

/**
 * Turns what the inventory script (hyperv-inventory.script.ts) printed into the records of an
 * inventory graph. Both serialisations are read alike: enums as integers (5.1) or names (7),
 * dates as `/Date(ms)/` or ISO, and every list as null, one bare object or an array.
 */

/** The part of an InventoryGraph one Hyper-V host contributes. */
export interface HyperVInventory {
  host: HostRecord;
  vms: VmRecord[];
  nics: NicRecord[];
  disks: DiskRecord[];
  networks: NetworkRecord[];
}

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

/** Microsoft.Vhd.PowerShell.VhdType integers (5.1 prints these); 7 prints the names. */
const VHD_TYPE_BY_VALUE: Record<number, string> = { 0: 'Unknown', 2: 'Fixed', 3: 'Dynamic', 4: 'Differencing' };

/**
 * Parses the inventory document of one host.
 *
 * @param stdout What the script printed.
 * @param hostNativeId The host's native id, chosen by the caller (e.g. `hyperv:hv01`); switches
 *   and VMs are keyed under it.
 * @param command The command's name, for error messages.
 * @throws ProviderError(MalformedResponse) on invalid JSON, a document without a host object, or
 *   a VM without a VMId (it could not be keyed).
 */
export function parseHyperVInventory(stdout: string, hostNativeId: string, command: string): HyperVInventory {
  const document = parsePowerShellJson(stdout, command);
  if (!isRecord(document)) throw malformed(command, `printed ${document === null ? 'nothing' : 'no JSON object'} instead of the inventory document`);
  const hostJson = document.host;
  if (!isRecord(hostJson)) throw malformed(command, 'printed an inventory document without a host object');

  const host = hostRecord(hostJson, hostNativeId);
  const networks = psList(document.switches).flatMap((sw) => {
    const name = text(sw.Name);
    return name ? [{ nativeId: switchNativeId(hostNativeId, name), name, kind: 'switch', location: null }] : [];
  });
  const vms: VmRecord[] = [];
  const nics: NicRecord[] = [];
  const disks: DiskRecord[] = [];
  psList(document.vms).forEach((vmJson, index) => {
    const vm = vmRecord(vmJson, hostNativeId, command, index);
    vms.push(vm);
    nics.push(...psList(vmJson.NetworkAdapters).map((nic, i) => nicRecord(nic, i, vm.nativeId, hostNativeId)));
    disks.push(...psList(vmJson.HardDrives).map((drive, i) => diskRecord(drive, i, vm.nativeId)));
  });
  return { host, vms, nics, disks, networks };
}

/** Native id of a virtual switch: switch names are unique per host, not across hosts. */
export function switchNativeId(hostNativeId: string, switchName: string): string {
  return `${hostNativeId}/switch/${switchName.toLowerCase()}`;
}

/** A MAC as Azure prints it (`00-15-5D-0A-1B-2C`), from Hyper-V's 12 bare hex digits; null when it is not one. */
export function formatMacAddress(mac: unknown): string | null {
  const hex = typeof mac === 'string' ? mac.replace(/[^0-9a-f]/gi, '').toUpperCase() : '';
  return hex.length === 12 ? (hex.match(/../g) ?? []).join('-') : null;
}

function hostRecord(json: PowerShellRecord, nativeId: string): HostRecord {
  const memoryBytes = numberOrNull(json.MemoryCapacity);
  return {
    nativeId,
    name: text(json.ComputerName) ?? nativeId,
    kind: 'hyperv',
    osName: text(json.OsName),
    osVersion: text(json.OsVersion),
    cpuCount: numberOrNull(json.LogicalProcessorCount),
    memoryMb: bytesToMib(memoryBytes),
    hypervisorVersion: text(json.HyperVVersion),
    location: null,
  };
}

function vmRecord(json: PowerShellRecord, hostNativeId: string, command: string, index: number): VmRecord {
  const vmId = text(json.VMId)?.toLowerCase();
  if (!vmId) throw malformed(command, `printed VM ${index} without a VMId`);
  const powerState = powerStateFromVmState(json.State);
  const os = classifyKvpGuest(readKvpItems(json.Kvp));
  // Startup memory is what the VM is configured with; a running dynamic-memory VM holds what it was assigned.
  const assigned = numberOrNull(json.MemoryAssigned);
  const memoryBytes = powerState === 'running' && assigned !== null && assigned > 0 ? assigned : numberOrNull(json.MemoryStartup);
  return {
    nativeId: vmId,
    uid: vmId,
    name: text(json.VMName) ?? vmId,
    hostNativeId,
    imageNativeId: null,
    location: null,
    resourceGroup: null,
    subscriptionId: null,
    size: null,
    cpuCount: numberOrNull(json.ProcessorCount),
    memoryMb: bytesToMib(memoryBytes),
    powerState,
    osFamily: os.osFamily,
    osName: os.osName,
    osVersion: os.osVersion,
    osSource: os.osSource,
    rhelLicenseModel: os.rhelLicenseModel,
    licenseType: null,
    guestAgentVersion: os.guestAgentVersion,
    // Notes is free text with no agreed key=value convention: not guessed into tags.
    tags: {},
    details: {
      generation: numberOrNull(json.Generation),
      configurationVersion: text(json.Version),
      dynamicMemory: json.DynamicMemoryEnabled === true,
      memoryStartupMb: bytesToMib(numberOrNull(json.MemoryStartup)),
      notes: text(json.Notes),
      fullyQualifiedDomainName: os.fullyQualifiedDomainName ?? null,
      integrationServices: psList(json.IntegrationServices).map((service) => ({
        name: text(service.Name),
        enabled: service.Enabled === true,
        status: text(service.PrimaryStatusDescription),
      })),
    },
    createdAtProvider: parsePowerShellDate(json.CreationTime),
  };
}

function nicRecord(json: PowerShellRecord, index: number, vmNativeId: string, hostNativeId: string): NicRecord {
  const macAddress = formatMacAddress(json.MacAddress);
  // A dynamic MAC is all zeros until the VM first starts: several adapters would share it.
  const key = macAddress && macAddress !== '00-00-00-00-00-00' ? macAddress.replace(/-/g, '').toLowerCase() : `adapter${index}`;
  const switchName = text(json.SwitchName);
  return {
    nativeId: `${vmNativeId}/nic/${key}`,
    vmNativeId,
    name: index === 0 ? 'Network Adapter' : `Network Adapter ${index + 1}`,
    macAddress,
    primary: index === 0,
    privateIps: stringList(json.IPAddresses),
    publicIps: [],
    networkNativeId: switchName ? switchNativeId(hostNativeId, switchName) : null,
  };
}

function diskRecord(json: PowerShellRecord, index: number, vmNativeId: string): DiskRecord {
  const path = text(json.Path);
  const size = numberOrNull(json.Size);
  return {
    // A pass-through disk has no VHD path: its position is all that tells it apart.
    nativeId: `${vmNativeId}/disk/${path ? path.toLowerCase() : `passthrough${index}`}`,
    vmNativeId,
    name: path ? (path.split(/[\\/]/).pop() ?? path) : `Pass-through disk ${index + 1}`,
    // Hyper-V has no OS disk flag; the first drive is the boot disk of every VM we build.
    role: index === 0 ? 'os' : 'data',
    sizeGb: size === null ? null : Math.round(size / GIB),
    storageType: vhdTypeName(json.VhdType),
    location: null,
  };
}

/** The items of a PsList (null, one bare object, or an array); non-objects are dropped. */
function psList(value: unknown): PowerShellRecord[] {
  if (value === null || value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter(isRecord);
}

function vhdTypeName(value: unknown): string | null {
  if (typeof value === 'number') return VHD_TYPE_BY_VALUE[value] ?? null;
  return text(value);
}

function stringList(value: unknown): string[] {
  // ConvertTo-Json writes a too-deep array as its elements joined by spaces.
  if (typeof value === 'string') return value.split(/\s+/).filter((item) => item !== '');
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.trim() !== '').map((item) => item.trim()) : [];
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function bytesToMib(bytes: number | null): number | null {
  return bytes === null ? null : Math.round(bytes / MIB);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function isRecord(value: unknown): value is PowerShellRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(command: string, detail: string): ProviderError {
  return new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" ${detail}`);
}
