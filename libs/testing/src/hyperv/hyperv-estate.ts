import { createHash } from 'node:crypto';
import type {
  HyperVHardDriveSpec,
  HyperVKvp,
  HyperVNetworkAdapterSpec,
  HyperVSwitchType,
  HyperVVhdFileSpec,
  HyperVVhdType,
  HyperVVmSpec,
  HyperVVmState,
  InventoryHostJson,
} from './hyperv-host-simulator.types.js';
import { VM_STATE } from './powershell-script.contract.js';

const GIB = 1024 ** 3;

/** A VM as the estate holds it: the spec with every default resolved. */
export interface HyperVSimVm {
  vmId: string;
  name: string;
  state: HyperVVmState;
  processorCount: number;
  memoryStartup: number;
  dynamicMemoryEnabled: boolean;
  generation: 1 | 2;
  version: string;
  notes: string;
  /** Generation 2: the Secure Boot template (Set-VMFirmware); a RHEL shim boots only under MicrosoftUEFICertificateAuthority. Null for generation 1. */
  secureBootTemplate: string | null;
  creationTimeMs: number;
  /** Wall-clock ms when it started running; null while not Running or Paused. */
  runningSinceMs: number | null;
  networkAdapters: HyperVNetworkAdapterSpec[];
  hardDrives: HyperVHardDriveSpec[];
  guestServices: 'full' | 'kernel-only' | 'none';
  /** Integration services switched off on the host (en-US names). */
  disabledIntegrationServices: Set<string>;
  kvp: HyperVKvp | null;
}

/** A VHD file on the host's disk: it outlives the VM that used it (Remove-VM keeps files). */
export interface HyperVVhdFile {
  path: string;
  vhdType: HyperVVhdType;
  size: number;
  fileSize: number;
  parentPath: string | null;
  /** A full copy (Copy-Item) of another file: the file whose content, and so whose guest OS, it carries. */
  copiedFrom: string | null;
}

export interface HyperVSimSwitch {
  name: string;
  switchType: HyperVSwitchType;
}

/** True for the states in which a VM holds memory and its uptime counts. */
export function isActiveState(state: HyperVVmState): boolean {
  return state === 'Running' || state === 'Paused';
}

/** A GUID derived from a name, so VMs added without an id keep the same one across runs. */
function guidFrom(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The mutable host: its facts, switches and VMs, keyed by lower-case VMId. */
export class HyperVEstate {
  private readonly vms = new Map<string, HyperVSimVm>();
  /** Keyed by lower-case path: NTFS paths are case-insensitive. */
  private readonly files = new Map<string, HyperVVhdFile>();
  /** Folders that exist without holding a file (lower-case); a file's folder always exists. */
  private readonly folders = new Set<string>();
  /** Memory the management OS uses beyond its fixed reserve (bytes), lowering FreePhysicalMemory. */
  hostMemoryInUse = 0;

  constructor(
    readonly host: InventoryHostJson,
    readonly switches: HyperVSimSwitch[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a VM and returns its VMId. */
  addVm(spec: HyperVVmSpec): string {
    const vmId = (spec.vmId ?? guidFrom(spec.name)).toLowerCase();
    if (this.vms.has(vmId)) throw new Error(`VM ${vmId} already exists`);
    const state = spec.state ?? 'Running';
    if (!(state in VM_STATE)) throw new Error(`Unknown VM state '${state}'`);
    const macTail = createHash('sha256').update(`mac:${vmId}`).digest('hex').slice(0, 6).toUpperCase();
    const guestServices = spec.guestServices ?? 'full';
    this.vms.set(vmId, {
      vmId,
      name: spec.name,
      state,
      processorCount: spec.processorCount ?? 2,
      memoryStartup: spec.memoryStartup ?? 4 * GIB,
      dynamicMemoryEnabled: spec.dynamicMemoryEnabled ?? false,
      generation: spec.generation ?? 2,
      version: spec.version ?? '10.0',
      notes: spec.notes ?? '',
      secureBootTemplate: (spec.generation ?? 2) === 2 ? (spec.secureBootTemplate ?? 'MicrosoftUEFICertificateAuthority') : null,
      creationTimeMs: Date.parse(spec.creationTime ?? '2024-01-01T00:00:00Z'),
      runningSinceMs: isActiveState(state) ? this.now() - (spec.uptimeSeconds ?? 3600) * 1000 : null,
      networkAdapters: (
        spec.networkAdapters ?? [{ macAddress: `00155D${macTail}`, switchName: this.switches[0]?.name ?? null, ipAddresses: [] }]
      ).map((a) => ({ ...a, ipAddresses: [...a.ipAddresses] })),
      hardDrives: (
        spec.hardDrives ?? [
          {
            path: `C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks\\${spec.name}.vhdx`,
            vhdType: 'Dynamic',
            size: 64 * GIB,
            fileSize: 9 * GIB,
          },
        ]
      ).map((d) => ({ ...d })),
      guestServices,
      disabledIntegrationServices: new Set(spec.disabledIntegrationServices ?? ['Guest Service Interface']),
      // hv_utils alone never fills KVP, whatever the spec says.
      kvp: guestServices !== 'full' ? null : spec.kvp ? { ...spec.kvp } : null,
    });
    // A drive's file exists once the VM has it; a file already there (a shared base) stays as it is.
    for (const drive of this.get(vmId).hardDrives) {
      if (!this.files.has(drive.path.toLowerCase())) this.addVhdFile(drive);
    }
    return vmId;
  }

  /** Puts a VHD file on the host's disk (replacing one at the same path). */
  addVhdFile(spec: HyperVVhdFileSpec): void {
    this.files.set(spec.path.toLowerCase(), { path: spec.path, vhdType: spec.vhdType, size: spec.size, fileSize: spec.fileSize, parentPath: spec.parentPath ?? null, copiedFrom: spec.copiedFrom ?? null });
  }

  /** Makes a folder (and its parents) exist. */
  addFolder(path: string): void {
    const parts = path.replace(/\\+$/, '').split('\\');
    for (let i = 1; i <= parts.length; i++) this.folders.add(parts.slice(0, i).join('\\').toLowerCase());
  }

  /** Test-Path -PathType Container: an added folder, a drive root, the default VHD folder, or a folder (or ancestor) of a file. */
  folderExists(path: string): boolean {
    const key = path.replace(/\\+$/, '').toLowerCase();
    if (/^[a-z]:$/.test(key) || this.folders.has(key)) return true;
    if (key === 'c:\\programdata\\microsoft\\windows\\virtual hard disks') return true;
    return [...this.files.keys()].some((f) => f.startsWith(`${key}\\`));
  }

  /** The file at a path (any case), or null. */
  vhdFile(path: string): HyperVVhdFile | null {
    return this.files.get(path.toLowerCase()) ?? null;
  }

  /** Deletes a file; false when there was none. */
  removeVhdFile(path: string): boolean {
    return this.files.delete(path.toLowerCase());
  }

  vhdFiles(): HyperVVhdFile[] {
    return [...this.files.values()];
  }

  /** True when the guest's shutdown integration service can take a shutdown request now. */
  shutdownServiceAvailable(vm: HyperVSimVm): boolean {
    return vm.state === 'Running' && vm.guestServices !== 'none' && !vm.disabledIntegrationServices.has('Shutdown');
  }

  removeVm(vmId: string): void {
    if (!this.vms.delete(vmId.toLowerCase())) throw new Error(`No VM ${vmId}`);
  }

  /** Changes the power state; entering Running or Paused from elsewhere restarts the uptime. */
  setState(vmId: string, state: HyperVVmState): void {
    const vm = this.get(vmId);
    if (!(state in VM_STATE)) throw new Error(`Unknown VM state '${state}'`);
    if (!isActiveState(state)) vm.runningSinceMs = null;
    else if (vm.runningSinceMs === null) vm.runningSinceMs = this.now();
    vm.state = state;
  }

  get(vmId: string): HyperVSimVm {
    const vm = this.vms.get(vmId.toLowerCase());
    if (!vm) throw new Error(`No VM ${vmId}`);
    return vm;
  }

  vmIds(): string[] {
    return [...this.vms.keys()];
  }

  list(): HyperVSimVm[] {
    return [...this.vms.values()];
  }

  /** Current uptime in ms (0 when not active). */
  uptimeMs(vm: HyperVSimVm): number {
    return vm.runningSinceMs === null ? 0 : Math.max(0, this.now() - vm.runningSinceMs);
  }
}
