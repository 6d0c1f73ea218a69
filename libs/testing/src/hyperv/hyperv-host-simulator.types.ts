import type { HyperVEventLogName, VM_STATE } from './powershell-script.contract.js';

/** Which PowerShell answers: Windows PowerShell 5.1 (`powershell.exe`) or PowerShell 7 serialisation. */
export type PowerShellEdition = '5.1' | '7';

/** A name of Microsoft.HyperV.PowerShell.VMState (see {@link VM_STATE} for the integers). */
export type HyperVVmState = keyof typeof VM_STATE;

/** The guest mixes the generator produces. */
export type HyperVGuestKind = 'rhel7' | 'rhel8' | 'rhel9' | 'rhel-no-kvp' | 'windows-server' | 'ubuntu';

/** Values of the VhdType enum the simulator serves (Get-VHD: 2 Fixed, 3 Dynamic, 4 Differencing). */
export type HyperVVhdType = 'Fixed' | 'Dynamic' | 'Differencing';

/** Values of the VMSwitchType enum (0 Private, 1 Internal, 2 External). */
export type HyperVSwitchType = 'Private' | 'Internal' | 'External';

export interface HyperVHostSimulatorOptions {
  /** Generated VMs; default 12, enough for every guest kind and power state. */
  vmCount?: number;
  /** Seed of the estate generator; the same seed yields the same estate. Default 1. */
  seed?: number;
  /** Serialisation of the answers; default '5.1' (what a Windows Server host has out of the box). */
  powershell?: PowerShellEdition;
  /** Default 'hybridforms'. */
  username?: string;
  /** Default a fixed random-looking string. */
  password?: string;
  /** The host's NetBIOS name (ComputerName); default 'HV01'. */
  hostName?: string;
  /**
   * OpenSSH public key lines (`ecdsa-sha2-nistp256 AAAA… comment`) accepted for `username`. Default: the
   * public half of the generated {@link HyperVHostSimulator.clientPrivateKey}.
   */
  authorizedKeys?: string[];
  /**
   * Adds `rhel9-template` (Off, Notes `#template …`, its disk under D:\\VMs) to the estate. The
   * template library under D:\\Library\\Templates is always there (no VM holds its files).
   */
  templateVm?: boolean;
  /**
   * How long a VM started by a create script takes to boot before its guest reports KVP data and
   * an address (ms); default 1500.
   */
  guestBootMs?: number;
}

/**
 * KVP intrinsic items the inventory projects (Data Exchange integration service). On Linux the
 * hv_kvp_daemon sends OSMajorVersion = os-release VERSION_ID whole ("9.6"), OSMinorVersion "",
 * OSVersion = `uname -r` cut at the first '-', OSBuildNumber = the whole `uname -r`.
 */
export interface HyperVKvp {
  OSName: string;
  OSMajorVersion: string;
  OSMinorVersion: string;
  OSVersion: string;
  OSBuildNumber: string;
  ProcessorArchitecture: string;
  FullyQualifiedDomainName: string;
  IntegrationServicesVersion: string;
}

export interface HyperVNetworkAdapterSpec {
  /** 12 upper-case hex digits without separators, as Get-VMNetworkAdapter prints it. */
  macAddress: string;
  /** null when the adapter is not connected to a switch. */
  switchName: string | null;
  /** What the guest reports through KVP; served only while the VM runs and has KVP data. */
  ipAddresses: string[];
}

export interface HyperVHardDriveSpec {
  path: string;
  vhdType: HyperVVhdType;
  /** Virtual size in bytes. */
  size: number;
  /** Bytes on the host's disk. */
  fileSize: number;
  /** A differencing disk's parent VHD (Get-VHD ParentPath); default none. */
  parentPath?: string | null;
}

/** A VHD file on the host's disk that no VM needs to hold (a template, a differencing base). */
export interface HyperVVhdFileSpec {
  path: string;
  vhdType: HyperVVhdType;
  size: number;
  fileSize: number;
  parentPath?: string | null;
  /** The file it is a full copy of (its guest OS is that file's); default none. */
  copiedFrom?: string | null;
}

/** A VM to add to the estate; omitted fields get plain defaults. */
export interface HyperVVmSpec {
  name: string;
  /** Lower-case GUID; default derived from the name. */
  vmId?: string;
  /** Informative only (the generator's guest mix); default undefined. */
  guest?: HyperVGuestKind;
  /** Default 'Running'. */
  state?: HyperVVmState;
  /** Default 2. */
  processorCount?: number;
  /** Default 4 GiB. */
  memoryStartup?: number;
  /** Default false. */
  dynamicMemoryEnabled?: boolean;
  /** Default 2. */
  generation?: 1 | 2;
  /** Generation 2 only: the Secure Boot template; default MicrosoftUEFICertificateAuthority (what a RHEL guest needs). */
  secureBootTemplate?: string;
  /** Configuration version; default '10.0' (Windows Server 2022). */
  version?: string;
  /** Default ''. */
  notes?: string;
  /** ISO timestamp; default 2024-01-01T00:00:00Z. */
  creationTime?: string;
  /** Uptime when added, if it runs; it then grows with wall-clock time. Default 3600. */
  uptimeSeconds?: number;
  /** Default one adapter on the first switch, with a MAC derived from the name. */
  networkAdapters?: HyperVNetworkAdapterSpec[];
  /** Default one 64 GiB dynamic VHDX. */
  hardDrives?: HyperVHardDriveSpec[];
  /**
   * 'full': every integration service answers (Linux hyperv-daemons installed, or Windows).
   * 'kernel-only': Linux hv_utils without the daemons, so KVP and VSS have no contact and there is no KVP data.
   * 'none': no integration services in the guest at all (no hv_utils, or an OS still booting): every service has no contact.
   * Default 'full'.
   */
  guestServices?: 'full' | 'kernel-only' | 'none';
  /**
   * Integration services switched off on the host (Disable-VMIntegrationService), en-US names;
   * default ['Guest Service Interface'], as Hyper-V ships it. Without 'Shutdown', Stop-VM cannot shut the guest down.
   */
  disabledIntegrationServices?: string[];
  /** KVP data while running; null = none. Default null. */
  kvp?: HyperVKvp | null;
}

/**
 * The fault kinds {@link HyperVHostSimulator.injectFault} knows. 'hang': the command is never run
 * and never answered. 'answer-lost': the command is run and its effects applied, but no answer
 * is sent (the channel stays open until the client goes away), what a client killed mid-command
 * leaves behind: Windows OpenSSH lets a command of an exec channel run on after its client is gone
 * (PowerShell/Win32-OpenSSH#1751). 'slow' (vm-create only, with {@link HyperVFaultSpec.delayMs}):
 * the script looks (Get-VM, Test-Path) as it arrives, once it holds its mutex if it takes one, and
 * its cmdlets take `delayMs` to apply; it then answers if its client is still there, and runs to
 * its end either way, as above. A second script of the same VM arriving meanwhile races it unless
 * both take the VM name's mutex (VM_CREATE_SCRIPT_MARKER).
 */
export type HyperVFaultKind = 'auth' | 'disconnect' | 'hang' | 'answer-lost' | 'slow' | 'error-record' | 'truncated-json' | 'cmdlet-error';

export interface HyperVFaultSpec {
  kind: HyperVFaultKind;
  /** How many authentications ('auth') or PowerShell commands (the rest) it applies to; default 1, Infinity allowed. */
  times?: number;
  /**
   * Only commands whose script carries this marker (the name in {@link HyperVSimRequest.marker}:
   * 'inventory', 'events', 'metrics', 'vm-action', 'vhd-facts', 'vhd-remove') take the fault; default any
   * command. Not for 'auth'. A 'disconnect' of an action script drops the connection after the
   * host applied the action (the answer is lost, the change is not).
   */
  marker?: string;
  /**
   * With marker 'vm-create' only: just the create script of this step (its `$step = '<step>'`
   * line: vhd, vm, processor, memory, network, start, guest) takes the fault.
   */
  step?: string;
  /**
   * 'cmdlet-error' only (and required there): the cmdlet (`Start-VM`, `Remove-Item`, …) that fails
   * the next `times` times it is applied, with {@link message}; the VM or file stays as it was.
   */
  cmdlet?: string;
  /** 'cmdlet-error': the exception message; default Hyper-V's "'<vm>' failed to change state." */
  message?: string;
  /** 'slow' only (and required there): how long the script's cmdlets take, in ms. */
  delayMs?: number;
}

/** One exec request as the simulator saw it. */
export interface HyperVSimRequest {
  at: Date;
  /** The script marker found (e.g. 'inventory'); null for an unknown script or a non-PowerShell command. */
  marker: string | null;
  /** false when the command was not the PowerShell invocation of the contract. */
  powershell: boolean;
  /** vm-create scripts: the step the script runs (its `$step` line). */
  step?: string;
  /** The fault applied to this request, if any. */
  fault?: HyperVFaultKind;
  /**
   * vm-create scripts holding the VM name's mutex: 'taken' at once, 'waited' for another script
   * of the name first, 'timed-out' when not let in within its wait (the script failed).
   */
  lock?: 'taken' | 'waited' | 'timed-out';
  /**
   * Action scripts: what the host did, e.g. `Stop-VM -TurnOff -Force <vmId>`, several joined by
   * '; ', `no-op <vmId>` when the VM was in the end state already, `failed Start-VM <vmId>` for a
   * refused cmdlet. {@link HyperVHostSimulator.appliedCmdlets} counts them per VM or file.
   */
  label?: string;
}

// ---- The action answers (`# hybridforms:vm-action`, `vhd-facts`, `vhd-remove`) ----

/** What a VM action script prints: one compressed JSON object. */
export interface VmActionResultJson {
  /** Lower-case GUID. */
  VMId: string;
  VMName: string;
  /** `[string]$vm.State` before the script acted. */
  Before: string;
  /** The state after (a new Get-VM); null when the VM was removed. */
  After: string | null;
  /** false when the VM was in the end state already and nothing was applied. */
  Acted: boolean;
  /** The last cmdlet applied, null when none. */
  Cmdlet: string | null;
}

/** The error record a script's catch writes as one JSON line on stderr. */
export interface ErrorRecordJson {
  /** The cmdlet the script was running (`$c`). */
  Cmdlet: string;
  /** The VM's state before (`$s`); null when Get-VM itself failed. */
  State: string | null;
  /** `$_.FullyQualifiedErrorId`, e.g. `InvalidState,Microsoft.HyperV.PowerShell.Commands.StartVM`. */
  ErrorId: string;
  /** `[string]$_.CategoryInfo.Category`, e.g. `InvalidOperation`, `ObjectNotFound`. */
  Category: string;
  /** `$_.Exception.Message`. */
  Message: string;
}

export interface VhdDriveJson {
  VMId: string;
  VMName: string;
  Path: string | null;
}

export interface VhdJson {
  Path: string;
  /** `[string]$v.VhdType`: Fixed, Dynamic, Differencing. */
  VhdType: string;
  ParentPath: string | null;
}

/** What the vhd-facts script prints. */
export interface VhdFactsJson {
  /** Test-Path -LiteralPath $p -PathType Leaf. */
  Exists: boolean;
  /** Every hard drive of every VM (`@()`: always an array). */
  Drives: VhdDriveJson[];
  /** Get-VHD of the files of both folders and of every drive, with their parents (`@()`). */
  Vhds: VhdJson[];
}

/** What the vhd-remove script prints. */
export interface VhdRemoveResultJson {
  Path: string;
  /** false when the file was gone already. */
  Removed: boolean;
}

// ---- The inventory answer (what `# hybridforms:inventory` prints on stdout) ----

/** An enum value: the integer in 5.1, the name in 7 (the contract script uses -EnumsAsStrings there). */
export type PsEnum<Name extends string> = number | Name;

/** A DateTime: `/Date(ms)/` after JSON.parse in 5.1 (raw text `\/Date(ms)\/`), ISO 8601 with offset in 7. */
export type PsDateTime = string;

/** System.TimeSpan as ConvertTo-Json writes it (both editions). */
export interface PsTimeSpan {
  Ticks: number;
  Days: number;
  Hours: number;
  Milliseconds: number;
  Minutes: number;
  Seconds: number;
  TotalDays: number;
  TotalHours: number;
  TotalMilliseconds: number;
  TotalMinutes: number;
  TotalSeconds: number;
}

/**
 * A list assigned from a pipeline without `@()`: ConvertTo-Json writes null for no items, the bare
 * object for one item and an array for more. Parsers must accept all three.
 */
export type PsList<T> = T | T[] | null;

export interface InventoryHostJson {
  ComputerName: string;
  /** Win32_OperatingSystem.Caption. */
  OsName: string;
  /** Win32_OperatingSystem.Version, e.g. '10.0.20348'. */
  OsVersion: string;
  LogicalProcessorCount: number;
  /** Bytes. */
  MemoryCapacity: number;
  HyperVVersion: string;
}

export interface InventorySwitchJson {
  Name: string;
  SwitchType: PsEnum<HyperVSwitchType>;
}

export interface InventoryNetworkAdapterJson {
  MacAddress: string;
  SwitchName: string | null;
  /** A string[] property, so it stays an array even with one or no address. */
  IPAddresses: string[];
}

export interface InventoryHardDriveJson {
  Path: string;
  VhdType: PsEnum<HyperVVhdType>;
  /** Virtual size, bytes. */
  Size: number;
  /** Size on the host's disk, bytes. */
  FileSize: number;
}

export interface InventoryIntegrationServiceJson {
  /** Localized on real hosts; the simulator uses en-US names. */
  Name: string;
  Enabled: boolean;
  /** 'OK', 'No Contact', or null while the VM does not run or the service is disabled. */
  PrimaryStatusDescription: string | null;
}

export interface InventoryVmJson {
  /** Lower-case GUID. */
  VMId: string;
  VMName: string;
  State: PsEnum<HyperVVmState>;
  ProcessorCount: number;
  /** Bytes; 0 unless Running or Paused. */
  MemoryAssigned: number;
  MemoryStartup: number;
  DynamicMemoryEnabled: boolean;
  Generation: number;
  Version: string;
  /** All zeros unless Running or Paused. */
  Uptime: PsTimeSpan;
  CreationTime: PsDateTime;
  Notes: string;
  NetworkAdapters: PsList<InventoryNetworkAdapterJson>;
  HardDrives: PsList<InventoryHardDriveJson>;
  IntegrationServices: PsList<InventoryIntegrationServiceJson>;
  /** null when the VM does not run or the guest has no KVP daemon. */
  Kvp: HyperVKvp | null;
}

/** The whole stdout of the inventory script, one compressed JSON document followed by CRLF. */
export interface HyperVInventoryJson {
  host: InventoryHostJson;
  switches: PsList<InventorySwitchJson>;
  vms: PsList<InventoryVmJson>;
}

// ---- The events answer (what `# hybridforms:events` prints on stdout) ----

/** Level of an event record: 1 Critical, 2 Error, 3 Warning, 4 Information (0 LogAlways, 5 Verbose). */
export type HyperVEventLevel = 1 | 2 | 3 | 4;

/** An event record to append to a log (tests use it for anything the mutations do not write). */
export interface HyperVEventSpec {
  log: HyperVEventLogName;
  /** Event Id, e.g. 18500. */
  id: number;
  /** Default 4 (Information). */
  level?: HyperVEventLevel;
  /** Default the log's provider (Microsoft-Windows-Hyper-V-VMMS / -Worker). */
  providerName?: string;
  /** Rendered message; default the template of `id` (§6) when it has one and a VM is named, else ''. */
  message?: string;
  /** EventData VmName (Properties[0]); null when the event names no VM. */
  vmName?: string | null;
  /** EventData VmId (Properties[1]), a GUID in any case; null when the event names no VM. */
  vmId?: string | null;
  /** A SID, or null; default S-1-5-18 in VMMS-Admin and the VM's virtual account SID in Worker-Admin. */
  userId?: string | null;
  /** Default now. */
  timeCreated?: Date;
}

/** A record as a log holds it. */
export interface HyperVEventRecord {
  recordId: number;
  id: number;
  log: HyperVEventLogName;
  providerName: string;
  level: HyperVEventLevel;
  message: string;
  vmName: string | null;
  vmId: string | null;
  userId: string | null;
  machineName: string;
  timeCreatedMs: number;
}

/** What a log is: writing (enabled), not writing (disabled: records stay readable), or absent. */
export type HyperVEventLogState = 'enabled' | 'disabled' | 'missing';

/** How a VM stopped or restarted, which picks the Worker-Admin event (§6). */
export type HyperVStopCause = 'turn-off' | 'shutdown-ic' | 'guest-shutdown';
export type HyperVResetCause = 'hyper-v-manager' | 'guest';

/** One log as the events script reports it. */
export interface EventsLogJson {
  LogName: string;
  /** false when `Get-WinEvent -ListLog` finds no such log. */
  Exists: boolean;
  IsEnabled: boolean;
  /** RecordId of the newest record; null for an empty or missing log. */
  Newest: number | null;
  /** 'bookmark' (EventRecordID > B), 'time' (first read, or a log whose newest record is behind B), 'none' (missing). */
  Mode: 'bookmark' | 'time' | 'none';
}

/** One record, projected as §6 says (plus MachineName and UserId). */
export interface EventRecordJson {
  RecordId: number;
  Id: number;
  LogName: string;
  ProviderName: string;
  Level: number;
  LevelDisplayName: string;
  /** `$_.TimeCreated.ToUniversalTime().ToString('o')`, e.g. 2024-06-01T10:00:00.1230000Z. */
  TimeCreated: string;
  MachineName: string;
  /** `$_.UserId.Value`, a SID string, or null. */
  UserId: string | null;
  Message: string;
  /** `$_.Properties[0].Value`. */
  VmName: string | null;
  /** `"$($_.Properties[1].Value)"`: a Guid in a string is lower-case; '' when the event has no such property. */
  VmId: string;
}

export interface HyperVEventsJson {
  /** One entry per log asked for; an array whatever its length (built with `@()` and `+=`). */
  Logs: EventsLogJson[];
  /** Log by log, each in RecordId order (`-Oldest`). */
  Events: PsList<EventRecordJson>;
}

// ---- The metrics answer (what `# hybridforms:metrics` prints on stdout) ----

export interface MetricsVmJson {
  /** Lower-case GUID. */
  Id: string;
  Name: string;
  /** `[string]$vm.State`, the name in both editions. */
  State: string;
  /** Paths of the VM's virtual hard disks (while it runs), always an array (`@()`). */
  Disks: string[];
}

/** One Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSample, projected (§5). */
export interface CounterSampleJson {
  /** Lower-cased and host-prefixed: `\\\\hv01\\hyper-v dynamic memory vm(rhel9-web01)\\guest available memory`. */
  Path: string;
  /** Lower-cased instance, e.g. `rhel9-web01:hv vp 0`. */
  InstanceName: string;
  CookedValue: number;
  /** `$_.Timestamp.ToUniversalTime().ToString('o')`. */
  Timestamp: string;
  /** 0 when the value is valid (PDH_CSTATUS_VALID_DATA); otherwise CookedValue means nothing. */
  Status: number;
}

export interface HyperVMetricsJson {
  Vms: PsList<MetricsVmJson>;
  Samples: PsList<CounterSampleJson>;
}
