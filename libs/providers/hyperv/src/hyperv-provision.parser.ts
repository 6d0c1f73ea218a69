import { licenseModelFor, ProviderError, ProviderErrorCode, type ProvisionSource } from '@hybridforms/core';
import { classifyKvpGuest, classifyTemplateName, readKvpItems } from './kvp-classification.js';
import { parsePowerShellJsonObject, type PowerShellRecord } from './powershell-output.parser.js';

/** Get-VHD VhdFormat and VhdType: integers in 5.1, names in 7 (-EnumsAsStrings). */
const VHD_FORMAT: Record<number, string> = { 0: 'Unknown', 2: 'VHD', 3: 'VHDX', 4: 'VHDSet' };
const VHD_TYPE: Record<number, string> = { 0: 'Unknown', 2: 'Fixed', 3: 'Dynamic', 4: 'Differencing' };

export interface TemplateVhdJson {
  path: string;
  vhdFormat: string;
  vhdType: string;
  size: number | null;
  fileSize: number | null;
  parentPath: string | null;
}

export interface TemplateVmJson {
  vmId: string;
  vmName: string;
  generation: 1 | 2 | null;
  state: string | null;
  diskPath: string | null;
  kvp: Record<string, string | null | undefined> | null;
}

export interface ProvisionSourcesFacts {
  computerName: string | null;
  vhds: TemplateVhdJson[];
  templates: TemplateVmJson[];
  /** Library paths that are not folders on the host. */
  missing: string[];
}

export interface ProvisionCheckFacts {
  computerName: string | null;
  logicalProcessorCount: number | null;
  memoryCapacity: number;
  memoryAssigned: number;
  /** Win32_OperatingSystem FreePhysicalMemory, converted from KB to bytes. */
  freePhysicalMemory: number | null;
  vms: Map<string, boolean>;
  switches: Map<string, boolean>;
  files: Map<string, boolean>;
  folders: Map<string, boolean>;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function list(value: unknown): PowerShellRecord[] {
  return (Array.isArray(value) ? value : value ? [value] : []).filter((v): v is PowerShellRecord => typeof v === 'object' && v !== null && !Array.isArray(v));
}

function enumName(value: unknown, names: Record<number, string>): string {
  if (typeof value === 'number') return names[value] ?? String(value);
  return text(value) ?? 'Unknown';
}

function required(stdout: string, command: string): PowerShellRecord {
  const json = parsePowerShellJsonObject(stdout, command);
  if (!json) throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed nothing`);
  return json;
}

export function parseProvisionSources(stdout: string, command: string): ProvisionSourcesFacts {
  const json = required(stdout, command);
  if (!('Vhds' in json) || !('Templates' in json)) throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed no Vhds and Templates`);
  return {
    computerName: text(json.ComputerName),
    vhds: list(json.Vhds)
      .filter((v) => text(v.Path) !== null)
      .map((v) => ({
        path: text(v.Path) as string,
        vhdFormat: enumName(v.VhdFormat, VHD_FORMAT),
        vhdType: enumName(v.VhdType, VHD_TYPE),
        size: num(v.Size),
        fileSize: num(v.FileSize),
        parentPath: text(v.ParentPath),
      })),
    templates: list(json.Templates)
      .filter((t) => text(t.VMId) !== null)
      .map((t) => ({
        vmId: (text(t.VMId) as string).toLowerCase(),
        vmName: text(t.VMName) ?? (text(t.VMId) as string),
        generation: t.Generation === 1 || t.Generation === 2 ? t.Generation : null,
        state: text(t.State),
        diskPath: text(t.DiskPath),
        kvp: readKvpItems(t.Kvp),
      })),
    missing: (Array.isArray(json.Missing) ? json.Missing : json.Missing ? [json.Missing] : []).filter((m): m is string => typeof m === 'string'),
  };
}

function existsMap(value: unknown, key: 'Name' | 'Path'): Map<string, boolean> {
  // Names and paths compare case-insensitively on Windows.
  return new Map(list(value).filter((r) => typeof r[key] === 'string').map((r) => [(r[key] as string).toLowerCase(), r.Exists === true]));
}

export function parseProvisionCheck(stdout: string, command: string): ProvisionCheckFacts {
  const json = required(stdout, command);
  const capacity = num(json.MemoryCapacity);
  if (capacity === null) throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed no MemoryCapacity`);
  const freeKb = num(json.FreePhysicalMemoryKB);
  return {
    computerName: text(json.ComputerName),
    logicalProcessorCount: num(json.LogicalProcessorCount),
    memoryCapacity: capacity,
    memoryAssigned: num(json.MemoryAssigned) ?? 0,
    freePhysicalMemory: freeKb === null ? null : freeKb * 1024,
    vms: existsMap(json.Vms, 'Name'),
    switches: existsMap(json.Switches, 'Name'),
    files: existsMap(json.Files, 'Path'),
    folders: existsMap(json.Folders, 'Path'),
  };
}

/**
 * The memory a new VM can get on the host: the smaller of FreePhysicalMemory (what Windows has
 * free now, so it counts the management OS and other non-VM use) and MemoryCapacity minus the
 * memory assigned to VMs (what Hyper-V has handed out, including VMs starting). Either alone can
 * be optimistic: free memory includes what a just-started VM has not touched yet; capacity minus
 * assigned ignores the host's own use.
 */
export function availableMemoryBytes(facts: ProvisionCheckFacts): number {
  const unassigned = Math.max(0, facts.memoryCapacity - facts.memoryAssigned);
  return facts.freePhysicalMemory === null ? unassigned : Math.min(unassigned, facts.freePhysicalMemory);
}

function baseName(path: string): string {
  const file = path.slice(path.lastIndexOf('\\') + 1);
  return file.replace(/\.vhdx?$/i, '');
}

/**
 * The sources of one host. A template VHDX is classified from its file name (the weakest source:
 * a file carries no KVP); its generation is 2: every VHDX can boot a generation 2 VM, and the
 * RHEL gold images we expect are UEFI installs (a generation 1 VM can also boot a VHDX, from its
 * IDE controller, but only a BIOS install: details.generationNote says so). A template VM is
 * classified from its KVP when it runs, else from its name; its generation is its own.
 */
export function provisionSourcesOf(hostNativeId: string, facts: ProvisionSourcesFacts): ProvisionSource[] {
  const vhds = facts.vhds.map((v): ProvisionSource => {
    const name = baseName(v.path);
    const os = classifyTemplateName(name);
    return {
      ref: `vhd:${hostNativeId}:${v.path}`,
      kind: 'template-vhd',
      name,
      osFamily: os.osFamily,
      osVersion: os.osVersion,
      licenseModel: licenseModelFor(os.osFamily, 'byos'),
      location: null,
      hostNativeId,
      generation: v.vhdFormat === 'VHD' ? 1 : 2,
      plan: null,
      details: {
        path: v.path,
        vhdFormat: v.vhdFormat,
        vhdType: v.vhdType,
        sizeBytes: v.size,
        fileSizeBytes: v.fileSize,
        parentPath: v.parentPath,
        osFrom: os.osFamily === 'unknown' ? null : 'file-name',
        generationNote: 'VHDX: generation 2 (UEFI); a generation 1 VM boots it from IDE only if the image is a BIOS install',
      },
    };
  });
  const vms = facts.templates.map((t): ProvisionSource => {
    const kvp = classifyKvpGuest(t.kvp);
    const byName = classifyTemplateName(t.vmName);
    const os = kvp.osFamily !== 'unknown' ? { osFamily: kvp.osFamily, osVersion: kvp.osVersion, from: 'kvp' } : { osFamily: byName.osFamily, osVersion: byName.osVersion, from: byName.osFamily === 'unknown' ? null : 'vm-name' };
    return {
      ref: `vm:${t.vmId}`,
      kind: 'template-vm',
      name: t.vmName,
      osFamily: os.osFamily,
      osVersion: os.osVersion,
      licenseModel: licenseModelFor(os.osFamily, 'byos'),
      location: null,
      hostNativeId,
      generation: t.generation,
      plan: null,
      details: { vmId: t.vmId, diskPath: t.diskPath, state: t.state, osFrom: os.from },
    };
  });
  return [...vhds, ...vms];
}
