/**
 * The contract between our Hyper-V scripts and the simulated host: how a command is sent over SSH
 * and which marker lines and cmdlets tell the host what a script asks for.
 */

/**
 * The only command the host runs. It works whether the Windows OpenSSH DefaultShell is cmd.exe or
 * PowerShell, because the base64 argument has no characters either shell would interpret.
 */
export const POWERSHELL_COMMAND_PREFIX = 'powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ';

const COMMAND_PATTERN =
  /^powershell(?:\.exe)?\s+-NoLogo\s+-NoProfile\s+-NonInteractive\s+-ExecutionPolicy\s+Bypass\s+-EncodedCommand\s+([A-Za-z0-9+/]+={0,2})\s*$/i;

/** First line of the inventory script; the host answers with {@link HyperVInventoryJson}. */
export const INVENTORY_SCRIPT_MARKER = '# hybridforms:inventory';

/** Cmdlets the inventory script must call, matched case-insensitively, with or without `Hyper-V\`. */
export const INVENTORY_REQUIRED_CMDLETS: readonly string[] = [
  'Get-VMHost',
  'Get-VMSwitch',
  'Get-VM',
  'Get-VMNetworkAdapter',
  'Get-VMHardDiskDrive',
  'Get-VHD',
  'Get-VMIntegrationService',
  'ConvertTo-Json',
];

/**
 * First line of the events script; the host answers with {@link HyperVEventsJson}. The script
 * lists the logs to read, one line each, as
 * `@{ N = '<log name>'; B = <last RecordId or $null>; X = '*[System[EventRecordID>N]]' or $null }`,
 * the look-back of a read by time as `$m = <minutes>` (used as `(Get-Date).AddMinutes(-$m)`, so
 * the host computes StartTime in its own local time), and must pass `-Oldest` to get records in
 * RecordId order (without it Get-WinEvent answers newest first, and so does the host). A query that
 * matches nothing raises NoMatchingEventsFound unless the script catches that FullyQualifiedErrorId
 * (the host looks for the name in the script).
 */
export const EVENTS_SCRIPT_MARKER = '# hybridforms:events';

/** Cmdlets the events script must call. */
export const EVENTS_REQUIRED_CMDLETS: readonly string[] = ['Get-WinEvent', 'ConvertTo-Json'];

/**
 * First line of the metrics script; the host answers with {@link HyperVMetricsJson}. The counter
 * paths the script asks Get-Counter for are single-quoted literals starting with `\Hyper-V `;
 * the host answers those only (an `(*)` instance means every instance).
 */
export const METRICS_SCRIPT_MARKER = '# hybridforms:metrics';

/** Cmdlets the metrics script must call: Get-VM maps counter instance names to VM ids. */
export const METRICS_REQUIRED_CMDLETS: readonly string[] = ['Get-VM', 'Get-VMHardDiskDrive', 'Get-Counter', 'ConvertTo-Json'];

/**
 * First line of a VM action script (power actions and Remove-VM). The host reads, in a restricted
 * grammar it refuses to guess beyond:
 * - `$vm = Hyper-V\Get-VM -Id '<guid>'` (every Get-VM of the script names the same GUID; never `-Name`),
 *   then `$s = [string]$vm.State`: the state before, which every condition tests;
 * - one step per line, in order: `[if (<cond>) { ]$c = '<Cmdlet>'; $vm | Hyper-V\<Cmdlet> [-Switch …]; $acted = $true[ }]`,
 *   `<cond>` being `$s -eq|-ne 'State'` or `$s -in|-notin 'A','B'`;
 * - a catch that writes the error record as one JSON line (see {@link writesErrorRecordJson}).
 * It answers with {@link VmActionResultJson}; a refused cmdlet with the error record and exit 1.
 */
export const VM_ACTION_SCRIPT_MARKER = '# hybridforms:vm-action';

/** Cmdlets every VM action script calls (plus the action's own). */
export const VM_ACTION_REQUIRED_CMDLETS: readonly string[] = ['Get-VM', 'ConvertTo-Json'];

/** The cmdlets a VM action step may apply to `$vm`. */
export const VM_ACTION_CMDLETS = ['Start-VM', 'Stop-VM', 'Save-VM', 'Suspend-VM', 'Resume-VM', 'Restart-VM', 'Remove-VM'] as const;
export type VmActionCmdlet = (typeof VM_ACTION_CMDLETS)[number];

/**
 * First line of the script that lists what the host knows of one VHD file, so the plugin can tell
 * whether it is attached or a parent: `$p = '<path>'` (single-quoted), the files of the target's
 * folder and of `(Get-VMHost).VirtualHardDiskPath`, every VM's drives, each file's parent chain
 * (Get-VHD ParentPath). The host answers with {@link VhdFactsJson}.
 */
export const VHD_FACTS_SCRIPT_MARKER = '# hybridforms:vhd-facts';

export const VHD_FACTS_REQUIRED_CMDLETS: readonly string[] = ['Get-VMHost', 'Get-VM', 'Get-VMHardDiskDrive', 'Get-VHD', 'Get-ChildItem', 'Test-Path', 'ConvertTo-Json'];

/**
 * First line of the script that deletes one VHD file: `$p = '<path>'`, then
 * `if (Test-Path -LiteralPath $p -PathType Leaf) { $c = 'Remove-Item'; Remove-Item -LiteralPath $p -Force; … }`.
 * The host answers with {@link VhdRemoveResultJson}, or the error record like a VM action.
 */
export const VHD_REMOVE_SCRIPT_MARKER = '# hybridforms:vhd-remove';

export const VHD_REMOVE_REQUIRED_CMDLETS: readonly string[] = ['Test-Path', 'Remove-Item', 'ConvertTo-Json'];

/**
 * First line of the script that lists provisioning sources: `$paths = @('<folder>', …)` (one line,
 * single-quoted literals), the `*.vhdx` files directly under each (Get-ChildItem -LiteralPath
 * -Filter *.vhdx -File, then Get-VHD), the VMs whose Notes hold `#template` with their first
 * drive and KVP, and the folders that are missing. The host answers with
 * `{ ComputerName, Vhds: [{Path, VhdFormat, VhdType, Size, FileSize, ParentPath}], Templates:
 * [{VMId, VMName, Generation, State, Notes, DiskPath, Kvp}], Missing: [path] }`.
 */
export const PROVISION_SOURCES_SCRIPT_MARKER = '# hybridforms:provision-sources';

export const PROVISION_SOURCES_REQUIRED_CMDLETS: readonly string[] = ['Test-Path', 'Get-ChildItem', 'Get-VHD', 'Get-VM', 'Get-VMHardDiskDrive', 'Get-CimInstance', 'Get-VMHost', 'ConvertTo-Json'];

/**
 * First line of the script of the live provisioning checks: `$names`, `$switches`, `$files` and
 * `$folders` lists (as `$paths` above). The host answers with `{ ComputerName,
 * LogicalProcessorCount, MemoryCapacity, MemoryAssigned, FreePhysicalMemoryKB, Vms: [{Name,
 * Exists}], Switches: [{Name, Exists}], Files: [{Path, Exists}], Folders: [{Path, Exists}] }`.
 */
export const PROVISION_CHECK_SCRIPT_MARKER = '# hybridforms:provision-check';

export const PROVISION_CHECK_REQUIRED_CMDLETS: readonly string[] = ['Get-VMHost', 'Get-CimInstance', 'Get-VM', 'Get-VMSwitch', 'Test-Path', 'ConvertTo-Json'];

/**
 * First line of a create-step script. The host reads its `$step` ('vhd', 'vm', 'processor',
 * 'memory', 'network', 'start', 'guest') and values from one line each, single-quoted
 * (`$name`, `$tag`, `$notes`, `$folder` or `$folder = (Hyper-V\Get-VMHost).VirtualHardDiskPath`,
 * `$file`, `$parent`, `$switch`), `$copy = $true|$false` and whole numbers `$gen`, `$mem`, `$cpu`.
 * Our VM is the one whose name is `-eq $name` and whose Notes contain `$tag` (never `Get-VM
 * -Name`). It answers `{ Step, Acted, Others, Path, VM: {VMId, VMName, State, ProcessorCount,
 * MemoryStartup, Notes} | null }` plus `Vhd` (vhd), `SwitchName` (network), `Kvp` and
 * `IPAddresses` (guest); a refused cmdlet with the error record (as a VM action) and exit 1.
 *
 * A script may hold a host-wide mutex while it looks and acts: `$lockName = '<name>'`,
 * `$lockWaitMs = <ms>`, `New-Object System.Threading.Mutex($false, $lockName)`, a
 * `$lock.WaitOne($lockWaitMs)` before its first Get-VM or Test-Path, and a `finally` that calls
 * `ReleaseMutex()`. Scripts of one name run one after the other (a waiter not let in within
 * `$lockWaitMs` fails with a `LockTimeout` record); scripts without one run at once.
 */
export const VM_CREATE_SCRIPT_MARKER = '# hybridforms:vm-create';

export const VM_CREATE_REQUIRED_CMDLETS: readonly string[] = ['Get-VM', 'ConvertTo-Json'];

/** The host's default folder of virtual hard disks (`(Get-VMHost).VirtualHardDiskPath`). */
export const DEFAULT_VIRTUAL_HARD_DISK_PATH = 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks';

/** Markers the host knows, by the name logged in {@link HyperVSimRequest.marker}. */
export const SCRIPT_MARKERS: Readonly<Record<string, string>> = {
  inventory: INVENTORY_SCRIPT_MARKER,
  events: EVENTS_SCRIPT_MARKER,
  metrics: METRICS_SCRIPT_MARKER,
  'vm-action': VM_ACTION_SCRIPT_MARKER,
  'vhd-facts': VHD_FACTS_SCRIPT_MARKER,
  'vhd-remove': VHD_REMOVE_SCRIPT_MARKER,
  'provision-sources': PROVISION_SOURCES_SCRIPT_MARKER,
  'provision-check': PROVISION_CHECK_SCRIPT_MARKER,
  'vm-create': VM_CREATE_SCRIPT_MARKER,
};

/** The two Hyper-V admin channels the events script reads (shared/reference/hyperv.md §6). */
export const HYPERV_EVENT_LOGS = ['Microsoft-Windows-Hyper-V-VMMS-Admin', 'Microsoft-Windows-Hyper-V-Worker-Admin'] as const;
export type HyperVEventLogName = (typeof HYPERV_EVENT_LOGS)[number];

/** The error text of Get-WinEvent when a query matches nothing (FullyQualifiedErrorId NoMatchingEventsFound). */
export const NO_MATCHING_EVENTS_MESSAGE = 'No events were found that match the specified selection criteria.';

/** True when the script catches Get-WinEvent's NoMatchingEventsFound error itself. */
export function catchesNoMatchingEvents(script: string): boolean {
  return /catch\s*(\[[^\]]*\]\s*)?\{[\s\S]*NoMatchingEventsFound/i.test(script);
}

/** True when the script body is wrapped so that an error becomes one plain line on stderr (not CLIXML). */
export function writesPlainErrors(script: string): boolean {
  return /catch\s*\{[^}]*\[Console\]::Error\.WriteLine/i.test(script);
}

/**
 * True when the script's catch writes the error record as one JSON line on stderr:
 * `catch { [Console]::Error.WriteLine((ConvertTo-Json … FullyQualifiedErrorId …))`, with the
 * members Cmdlet, State, ErrorId, Category and Message ({@link ErrorRecordJson}).
 */
export function writesErrorRecordJson(script: string): boolean {
  return /catch\s*\{\s*\[Console\]::Error\.WriteLine\(\(ConvertTo-Json[^\n]*\$_\.FullyQualifiedErrorId[^\n]*\$_\.Exception\.Message/i.test(script);
}

/** Microsoft.HyperV.PowerShell.VMState (the Hyper-V module of Windows Server 2019 and later). */
export const VM_STATE = {
  Other: 1,
  Running: 2,
  Off: 3,
  Stopping: 4,
  Saved: 6,
  Paused: 9,
  Starting: 10,
  Reset: 11,
  Saving: 32773,
  Pausing: 32776,
  Resuming: 32777,
  FastSaved: 32779,
  FastSaving: 32780,
} as const;

/** VhdType and VMSwitchType integers. */
export const VHD_TYPE = { Fixed: 2, Dynamic: 3, Differencing: 4 } as const;
export const SWITCH_TYPE = { Private: 0, Internal: 1, External: 2 } as const;

/** The decoded script of a contract command, or null when `command` is something else. */
export function decodePowerShellCommand(command: string): string | null {
  const match = COMMAND_PATTERN.exec(command);
  if (!match) return null;
  return Buffer.from(match[1], 'base64').toString('utf16le');
}

/** The name of the first marker line the script carries, or null. */
export function findScriptMarker(script: string): string | null {
  const lines = script.split(/\r?\n/).map((line) => line.trim().toLowerCase());
  for (const [name, marker] of Object.entries(SCRIPT_MARKERS)) {
    if (lines.includes(marker)) return name;
  }
  return null;
}

/** Required cmdlets the script does not call (whole-word match, so Get-VM is not satisfied by Get-VMHost). */
export function missingCmdlets(script: string, required: readonly string[]): string[] {
  return required.filter((cmdlet) => !new RegExp(`(?<![\\w-])${cmdlet.replace(/-/g, '\\-')}(?![\\w-])`, 'i').test(script));
}

/** True when the script silences progress records, which PowerShell otherwise writes to stderr as CLIXML. */
export function silencesProgress(script: string): boolean {
  return /\$ProgressPreference\s*=\s*['"]SilentlyContinue['"]/i.test(script);
}
