import { randomUUID } from 'node:crypto';
import type { ScriptAnswer } from './events.projector.js';
import { isActiveState, type HyperVEstate, type HyperVSimVm } from './hyperv-estate.js';
import type { ErrorRecordJson, HyperVKvp, HyperVVmSpec, HyperVVmState } from './hyperv-host-simulator.types.js';
import { DEFAULT_VIRTUAL_HARD_DISK_PATH, missingCmdlets, writesErrorRecordJson } from './powershell-script.contract.js';
import type { PowerShellJsonSerializer } from './powershell-json.serializer.js';
import { HOST_RESERVED_MEMORY_BYTES, ParserError } from './provision.projector.js';

/**
 * Runs the create-step scripts (VM_CREATE_SCRIPT_MARKER) against the estate with Hyper-V's rules
 * and error records: New-VHD -Differencing (or Copy-Item), New-VM (Off, one adapter on no switch),
 * Set-VMProcessor, Set-VMMemory, Connect-VMNetworkAdapter, Start-VM (refused for lack of host
 * memory), and what the guest reports once it booted.
 *
 * Error texts: Start-VM's OutOfMemory record is the one public reports show (minikube #18049,
 * multipass #3345); Connect-VMNetworkAdapter's unknown switch is Hyper-V's "unable to find a
 * virtual switch with name" (MicrosoftDocs/Virtualization-Documentation #959); New-VHD's failures
 * have the "Failed to create the virtual hard disk. The system failed to create '…': <Win32
 * error> (0x…)" shape of AutomatedLab #266 and openvmm #1600, here with ERROR_FILE_NOT_FOUND for a
 * missing parent (the exact wording for that case is unverified).
 */

/** The steps a create script may run, and the cmdlets each must call. */
export const VM_CREATE_STEP_CMDLETS: Readonly<Record<string, readonly string[]>> = {
  vhd: ['Test-Path', 'New-VHD', 'Copy-Item', 'Get-VHD', 'Get-VMHardDiskDrive'],
  vm: ['New-VM', 'Set-VM', 'Remove-VM'],
  processor: ['Set-VMProcessor'],
  memory: ['Set-VMMemory'],
  network: ['Get-VMNetworkAdapter', 'Connect-VMNetworkAdapter'],
  start: ['Start-VM'],
  guest: ['Get-CimInstance', 'Get-VMNetworkAdapter'],
};

/** What a create script asks, read back from its `$<name> = …` lines. */
export interface VmCreateScript {
  step: string;
  name: string;
  tag: string;
  notes: string;
  /** null: `(Get-VMHost).VirtualHardDiskPath`. */
  folder: string | null;
  file: string;
  parent: string;
  copy: boolean;
  generation: 1 | 2;
  memoryBytes: number;
  cpuCount: number;
  switchName: string;
  /** The script sets the Secure Boot template RHEL needs on a generation 2 VM. */
  setsUefiCa: boolean;
  /** The script removes the VM it made when tagging it fails (`catch { $vm | Remove-VM -Force; throw }`). */
  removesUntagged: boolean;
  /** The host-wide mutex the script holds while it looks and acts (VM_CREATE_SCRIPT_MARKER), or null. */
  lock: { name: string; waitMs: number } | null;
}

/** What a create script saw when it looked: every VM of its name, and ours among them. */
export interface VmCreateLookup {
  same: HyperVSimVm[];
  vm: HyperVSimVm | undefined;
}

/** The script's mutex, read back; a script that takes one but strays from the contract throws. */
function lockOf(script: string): VmCreateScript['lock'] {
  if (!/^\s*\$lockName\s*=/im.test(script)) {
    if (/System\.Threading\.Mutex|\.WaitOne\(/i.test(script)) throw new Error('HyperVHostSimulator: the vm-create script takes a mutex but sets no $lockName.');
    return null;
  }
  const name = quoted(script, 'lockName');
  const waitMs = integer(script, 'lockWaitMs');
  if (!/New-Object\s+(?:System\.)?Threading\.Mutex\s*\(\s*\$false\s*,\s*\$lockName\s*\)/i.test(script)) throw new Error('HyperVHostSimulator: the vm-create script opens no New-Object System.Threading.Mutex($false, $lockName).');
  const wait = script.search(/\$lock\.WaitOne\(\s*\$lockWaitMs\s*\)/i);
  if (wait < 0) throw new Error('HyperVHostSimulator: the vm-create script never waits for its mutex ($lock.WaitOne($lockWaitMs)).');
  const look = script.search(/Hyper-V\\Get-VM\b|Test-Path\s+-LiteralPath/i);
  if (look >= 0 && look < wait) throw new Error('HyperVHostSimulator: the vm-create script looks at the host before it holds its mutex.');
  if (!/finally\s*\{[^}]*\$lock\.ReleaseMutex\(\)/i.test(script)) throw new Error('HyperVHostSimulator: the vm-create script does not release its mutex in a finally block.');
  return { name, waitMs };
}

function quoted(script: string, name: string): string {
  const line = script.split(/\r?\n/).find((l) => new RegExp(`^\\s*\\$${name}\\s*=`, 'i').test(l));
  if (line === undefined) throw new Error(`HyperVHostSimulator: the vm-create script sets no $${name}.`);
  const m = /^\s*\$\w+\s*=\s*'((?:[^']|'')*)'\s*$/.exec(line);
  if (!m) throw new ParserError(line);
  return m[1].replace(/''/g, "'");
}

function integer(script: string, name: string): number {
  const m = new RegExp(`^\\s*\\$${name}\\s*=\\s*(\\d+)\\s*$`, 'im').exec(script);
  if (!m) throw new Error(`HyperVHostSimulator: the vm-create script sets no whole number $${name}.`);
  return Number(m[1]);
}

/** The step a create script runs (its `$step = '<step>'` line), or null when it has none. */
export function vmCreateStepOf(script: string): string | null {
  return /^\s*\$step\s*=\s*'([^']*)'\s*$/im.exec(script)?.[1] ?? null;
}

/** Reads a create script; throws with the host's complaint when it strays from the contract. */
export function parseVmCreateScript(script: string): VmCreateScript {
  const step = quoted(script, 'step');
  const required = VM_CREATE_STEP_CMDLETS[step];
  if (!required) throw new Error(`HyperVHostSimulator: the vm-create script asks for an unknown step '${step}'.`);
  const missing = missingCmdlets(script, required);
  if (missing.length > 0) throw new Error(`HyperVHostSimulator: the vm-create ${step} script does not call ${missing.join(', ')}.`);
  if (/Get-VM\s+-(?:Name|VMName)\b/i.test(script)) throw new Error('HyperVHostSimulator: the vm-create script selects VMs with Get-VM -Name (a wildcard); compare names with -eq.');
  if (!writesErrorRecordJson(script)) throw new Error('HyperVHostSimulator: the vm-create script does not write its error record as one JSON line.');
  const folderLine = /^\s*\$folder\s*=\s*(.*)$/im.exec(script)?.[1].trim() ?? '';
  const copy = /^\s*\$copy\s*=\s*\$(true|false)\s*$/im.exec(script);
  if (!copy) throw new Error('HyperVHostSimulator: the vm-create script sets no $copy = $true|$false.');
  const generation = integer(script, 'gen');
  if (generation !== 1 && generation !== 2) throw new Error(`HyperVHostSimulator: New-VM has no generation ${generation}.`);
  return {
    step,
    name: quoted(script, 'name'),
    tag: quoted(script, 'tag'),
    notes: quoted(script, 'notes'),
    folder: /^\(Hyper-V\\Get-VMHost\)\.VirtualHardDiskPath$/i.test(folderLine) ? null : quoted(script, 'folder'),
    file: quoted(script, 'file'),
    parent: quoted(script, 'parent'),
    copy: copy[1].toLowerCase() === 'true',
    generation,
    memoryBytes: integer(script, 'mem'),
    cpuCount: integer(script, 'cpu'),
    switchName: quoted(script, 'switch'),
    setsUefiCa: /Set-VMFirmware\s+-SecureBootTemplate\s+MicrosoftUEFICertificateAuthority/i.test(script),
    lock: lockOf(script),
    removesUntagged: /catch\s*\{\s*\$vm\s*\|\s*(?:Hyper-V\\)?Remove-VM\s+-Force\s*;\s*throw\s*\}/i.test(script),
  };
}

/** What the host does to its estate and journal when a create script acts. */
export interface VmCreateHost {
  readonly estate: HyperVEstate;
  addVm(spec: HyperVVmSpec): string;
  removeVm(vmId: string): void;
  setState(vmId: string, state: HyperVVmState): void;
  failStart(vmId: string): void;
  /** A 'cmdlet-error' fault for this cmdlet: its message (null = the default), or undefined. */
  cmdletError(cmdlet: string): { message: string | null } | undefined;
  /** Called once a VM is started: the guest boots and reports after the host's boot delay. */
  booted(vmId: string): void;
}

const MIB = 1024 * 1024;
const KERNELS: Record<string, string> = { '7': '3.10.0-1160.119.1.el7.x86_64', '8': '4.18.0-553.16.1.el8_10.x86_64', '9': '5.14.0-427.13.1.el9_4.x86_64', '10': '6.12.0-55.9.1.el10_0.x86_64' };

function commandClass(cmdlet: string): string {
  if (cmdlet === 'New-VHD') return 'Microsoft.Vhd.PowerShell.Cmdlets.NewVhd';
  if (cmdlet === 'Copy-Item') return 'Microsoft.PowerShell.Commands.CopyItemCommand';
  return `Microsoft.HyperV.PowerShell.Commands.${cmdlet.replace('-', '')}`;
}

/**
 * What the guest of a disk reports once it boots: the template VM's own KVP when the disk chain
 * ends at a template VM's disk, else what the template file's name says (rhel-9.4-gold is RHEL
 * 9.4); null for a disk nothing is known of (its guest never reports).
 */
export function guestKvpOf(estate: HyperVEstate, diskPath: string, hostName: string): HyperVKvp | null {
  let file = estate.vhdFile(diskPath);
  const seen = new Set<string>();
  while (file && !seen.has(file.path.toLowerCase())) {
    seen.add(file.path.toLowerCase());
    const origin = file.copiedFrom ?? file.parentPath;
    if (!origin) break;
    file = estate.vhdFile(origin) ?? { path: origin, vhdType: 'Dynamic', size: 0, fileSize: 0, parentPath: null, copiedFrom: null };
  }
  if (!file) return null;
  const root = file.path.toLowerCase();
  const template = estate.list().find((vm) => vm.kvp && vm.hardDrives.some((d) => d.path.toLowerCase() === root));
  if (template?.kvp) return { ...template.kvp, FullyQualifiedDomainName: hostName };
  const base = root.slice(root.lastIndexOf('\\') + 1);
  const rhel = /rhel-?(\d+)\.(\d+)/.exec(base);
  if (rhel) {
    const build = KERNELS[rhel[1]] ?? KERNELS['9'];
    return {
      OSName: rhel[1] === '7' ? 'Red Hat Enterprise Linux Server' : 'Red Hat Enterprise Linux',
      OSMajorVersion: `${rhel[1]}.${rhel[2]}`,
      OSMinorVersion: '',
      OSVersion: build.split('-')[0],
      OSBuildNumber: build,
      ProcessorArchitecture: 'x86_64',
      FullyQualifiedDomainName: hostName,
      IntegrationServicesVersion: '3.1',
    };
  }
  const ubuntu = /ubuntu-(\d+\.\d+)/.exec(base);
  if (ubuntu) {
    return { OSName: 'Ubuntu', OSMajorVersion: ubuntu[1], OSMinorVersion: '', OSVersion: '5.15.0', OSBuildNumber: '5.15.0-113-generic', ProcessorArchitecture: 'x86_64', FullyQualifiedDomainName: hostName, IntegrationServicesVersion: '3.1' };
  }
  return null;
}

export class VmCreateProjector {
  constructor(private readonly serializer: PowerShellJsonSerializer) {}

  /** What the script finds as it starts: every VM of its name, and the one carrying its tag. */
  look(estate: HyperVEstate, request: VmCreateScript): VmCreateLookup {
    const same = estate.list().filter((vm) => vm.name.toLowerCase() === request.name.toLowerCase());
    return { same, vm: same.find((v) => v.notes.includes(request.tag)) };
  }

  /**
   * Runs one create script; `labels` say what the host did (HyperVSimRequest.label). `seen` is what
   * it found when it looked, by default now; a slow script acts later on what it saw earlier.
   */
  run(host: VmCreateHost, script: string, request: VmCreateScript, seen: VmCreateLookup = this.look(host.estate, request)): { answer: ScriptAnswer; labels: string[] } {
    const estate = host.estate;
    const folder = request.folder ?? DEFAULT_VIRTUAL_HARD_DISK_PATH;
    const path = `${folder.replace(/\\+$/, '')}\\${request.file}`;
    const same = seen.same;
    let vm: HyperVSimVm | undefined = seen.vm;
    const labels: string[] = [];
    const extra: Record<string, unknown> = {};
    let acted = false;
    const record = (cmdlet: string, errorId: string, category: string, message: string): ErrorRecordJson => ({
      Cmdlet: cmdlet,
      State: vm ? vm.state : null,
      ErrorId: `${errorId},${commandClass(cmdlet)}`,
      Category: category,
      Message: message,
    });
    const fail = (error: ErrorRecordJson) => {
      labels.push(`failed ${error.Cmdlet} ${vm?.vmId ?? path}`);
      return { answer: { stderr: this.serializer.stringify(error), code: 1 }, labels };
    };
    const faulted = (cmdlet: string) => {
      const fault = host.cmdletError(cmdlet);
      return fault ? record(cmdlet, 'OperationFailed', 'NotSpecified', fault.message ?? `'${request.name}' failed to change state.`) : null;
    };
    const invalidState = (cmdlet: string) => record(cmdlet, 'InvalidState', 'InvalidOperation', 'The operation cannot be performed while the object is in its current state.');

    switch (request.step) {
      case 'vhd': {
        const existed = estate.vhdFile(path) !== null;
        if (!existed) {
          const cmdlet = request.copy ? 'Copy-Item' : 'New-VHD';
          const error = faulted(cmdlet) ?? this.vhdError(estate, request, path, record);
          if (error) return fail(error);
          const parent = estate.vhdFile(request.parent)!;
          estate.addVhdFile(
            request.copy
              ? { path, vhdType: parent.vhdType, size: parent.size, fileSize: parent.fileSize, parentPath: parent.parentPath, copiedFrom: parent.path }
              : { path, vhdType: 'Differencing', size: parent.size, fileSize: 4 * MIB, parentPath: parent.path },
          );
          acted = true;
          labels.push(`${cmdlet} ${path}`);
        } else labels.push(`no-op ${path}`);
        const file = estate.vhdFile(path)!;
        const holders = estate.list().filter((v) => v.hardDrives.some((d) => d.path.toLowerCase() === path.toLowerCase())).map((v) => v.name);
        extra.Vhd = { Path: file.path, VhdType: file.vhdType, ParentPath: file.parentPath, Existed: existed, AttachedTo: holders };
        break;
      }
      case 'vm': {
        if (!vm && same.length === 0) {
          const file = estate.vhdFile(path);
          const error =
            faulted('New-VM') ??
            (file
              ? null
              : record('New-VM', 'OperationFailed', 'NotSpecified', `Failed to add device 'Virtual Hard Disk'.\r\nThe system cannot find the file specified. (0x80070002).\r\n'${path}'`));
          if (error) return fail(error);
          const vmId = host.addVm({
            name: request.name,
            vmId: randomUUID(),
            state: 'Off',
            processorCount: 1,
            memoryStartup: request.memoryBytes,
            generation: request.generation,
            // New-VM gives a generation 2 VM the Windows template; Set-VMFirmware changes it.
            secureBootTemplate: request.setsUefiCa ? 'MicrosoftUEFICertificateAuthority' : 'MicrosoftWindows',
            notes: request.notes,
            creationTime: new Date().toISOString(),
            networkAdapters: [{ macAddress: '000000000000', switchName: null, ipAddresses: [] }],
            hardDrives: [{ path: file!.path, vhdType: file!.vhdType, size: file!.size, fileSize: file!.fileSize, parentPath: file!.parentPath }],
            kvp: null,
          });
          vm = estate.get(vmId);
          labels.push(`New-VM ${vmId}`);
          const untagged = faulted('Set-VM') ?? (request.generation === 2 && request.setsUefiCa ? faulted('Set-VMFirmware') : null);
          if (untagged) {
            if (untagged.Cmdlet === 'Set-VM') vm.notes = '';
            if (request.removesUntagged) {
              host.removeVm(vmId);
              labels.push(`Remove-VM -Force ${vmId}`);
              vm = undefined;
            }
            return fail(untagged);
          }
          acted = true;
        }
        break;
      }
      case 'processor':
        if (vm && vm.processorCount !== request.cpuCount) {
          const error = faulted('Set-VMProcessor') ?? (vm.state !== 'Off' ? invalidState('Set-VMProcessor') : null);
          if (error) return fail(error);
          vm.processorCount = request.cpuCount;
          acted = true;
          labels.push(`Set-VMProcessor -Count ${request.cpuCount} ${vm.vmId}`);
        }
        break;
      case 'memory':
        if (vm && vm.memoryStartup !== request.memoryBytes) {
          const error = faulted('Set-VMMemory') ?? (vm.state !== 'Off' ? invalidState('Set-VMMemory') : null);
          if (error) return fail(error);
          vm.memoryStartup = request.memoryBytes;
          acted = true;
          labels.push(`Set-VMMemory -StartupBytes ${request.memoryBytes} ${vm.vmId}`);
        }
        break;
      case 'network':
        if (vm) {
          const adapter = vm.networkAdapters[0];
          if (adapter && adapter.switchName?.toLowerCase() !== request.switchName.toLowerCase()) {
            const sw = estate.switches.find((s) => s.name.toLowerCase() === request.switchName.toLowerCase());
            const error =
              faulted('Connect-VMNetworkAdapter') ??
              (sw ? null : record('Connect-VMNetworkAdapter', 'ObjectNotFound', 'ObjectNotFound', `Hyper-V was unable to find a virtual switch with name "${request.switchName}".`));
            if (error) return fail(error);
            adapter.switchName = sw!.name;
            acted = true;
            labels.push(`Connect-VMNetworkAdapter -SwitchName ${sw!.name} ${vm.vmId}`);
          }
          extra.SwitchName = vm.networkAdapters[0]?.switchName ?? null;
        }
        break;
      case 'start':
        if (vm && vm.state !== 'Running') {
          if (vm.state !== 'Off' && vm.state !== 'Saved') return fail(invalidState('Start-VM'));
          const fault = faulted('Start-VM');
          const error = fault ?? this.memoryError(estate, vm, record);
          if (error) {
            host.failStart(vm.vmId);
            return fail(error);
          }
          // A dynamic MAC is given at the first start.
          for (const [i, a] of vm.networkAdapters.entries()) if (a.macAddress === '000000000000') a.macAddress = `00155D${vm.vmId.replace(/-/g, '').slice(0, 4).toUpperCase()}${String(i).padStart(2, '0')}`;
          host.setState(vm.vmId, 'Running');
          host.booted(vm.vmId);
          acted = true;
          labels.push(`Start-VM ${vm.vmId}`);
        }
        break;
      case 'guest':
        if (vm) {
          const reports = vm.state === 'Running' && vm.kvp !== null;
          extra.Kvp = reports ? { ...vm.kvp } : null;
          extra.IPAddresses = reports ? vm.networkAdapters.flatMap((a) => a.ipAddresses) : [];
        }
        break;
    }
    if (!acted && labels.length === 0) labels.push(`no-op ${vm?.vmId ?? request.name}`);
    const doc = {
      Step: request.step,
      Acted: acted,
      Others: same.filter((v) => !v.notes.includes(request.tag)).length,
      Path: path,
      VM: vm
        ? { VMId: vm.vmId, VMName: vm.name, State: vm.state, ProcessorCount: vm.processorCount, MemoryStartup: vm.memoryStartup, Notes: vm.notes }
        : null,
      ...extra,
    };
    return { answer: { stdout: this.serializer.stringify(doc) }, labels };
  }

  /** The record of a script not let into its VM name's mutex in time (the script's Write-Error). */
  lockTimeout(request: VmCreateScript): ScriptAnswer {
    const seconds = Math.trunc((request.lock?.waitMs ?? 0) / 1000);
    const error: ErrorRecordJson = { Cmdlet: 'Mutex.WaitOne', State: null, ErrorId: 'LockTimeout', Category: 'OperationTimeout', Message: `another create step of VM '${request.name}' still runs on this host after ${seconds} s` };
    return { stderr: this.serializer.stringify(error), code: 1 };
  }

  /** New-VHD's (or Copy-Item's) refusal: the parent or the folder missing. */
  private vhdError(estate: HyperVEstate, request: VmCreateScript, path: string, record: (cmdlet: string, id: string, category: string, message: string) => ErrorRecordJson): ErrorRecordJson | null {
    const folder = path.slice(0, path.lastIndexOf('\\'));
    if (request.copy) {
      if (!estate.vhdFile(request.parent)) return record('Copy-Item', 'PathNotFound', 'ObjectNotFound', `Cannot find path '${request.parent}' because it does not exist.`);
      if (!estate.folderExists(folder)) return record('Copy-Item', 'System.IO.DirectoryNotFoundException', 'WriteError', `Could not find a part of the path '${path}'.`);
      return null;
    }
    const failed = (why: string) =>
      record('New-VHD', 'OperationFailed', 'NotSpecified', `Failed to create the virtual hard disk.\r\nThe system failed to create '${path}'.\r\nFailed to create the virtual hard disk.\r\nThe system failed to create '${path}': ${why}`);
    if (!estate.vhdFile(request.parent)) return failed('The system cannot find the file specified. (0x80070002).');
    if (!estate.folderExists(folder)) return failed('The system cannot find the path specified. (0x80070003).');
    return null;
  }

  /** Start-VM's OutOfMemory record when the host's free memory is less than the VM's startup memory. */
  private memoryError(estate: HyperVEstate, vm: HyperVSimVm, record: (cmdlet: string, id: string, category: string, message: string) => ErrorRecordJson): ErrorRecordJson | null {
    const assigned = estate.list().filter((v) => isActiveState(v.state)).reduce((sum, v) => sum + (v.dynamicMemoryEnabled ? Math.round(v.memoryStartup * 0.75) : v.memoryStartup), 0);
    const free = estate.host.MemoryCapacity - assigned - HOST_RESERVED_MEMORY_BYTES - estate.hostMemoryInUse;
    if (vm.memoryStartup <= free) return null;
    const id = vm.vmId.toUpperCase();
    const cannot = 'Not enough memory resources are available to complete this operation. (0x8007000E).';
    return record(
      'Start-VM',
      'OutOfMemory',
      'FromStdErr',
      [
        `'${vm.name}' failed to start.`,
        `Not enough memory in the system to start the virtual machine ${vm.name}.`,
        `Could not initialize memory: ${cannot}`,
        `'${vm.name}' failed to start. (Virtual machine ID ${id})`,
        `Not enough memory in the system to start the virtual machine ${vm.name} with ram size ${Math.round(vm.memoryStartup / MIB)} megabytes. (Virtual machine ID ${id})`,
        `'${vm.name}' could not initialize memory: ${cannot} (Virtual machine ID ${id})`,
      ].join('\r\n'),
    );
  }
}
