import { KVP_BY_VM_SCRIPT } from './hyperv-inventory.script.js';

/**
 * The PowerShell scripts of the provisioning read duties (provisionSources, checkProvision): one
 * round trip per host each, printing one compressed JSON document (hyperv-provision.parser.ts).
 *
 * Safety: every value reaches a script as a single-quoted literal (`'` doubled, so nothing breaks
 * out) inside `@( … )` lists the host simulator reads back (powershell-script.contract.ts). Names
 * are compared with `-eq` over the full list (`Get-VM | Where-Object { $_.Name -eq $n }`), never
 * passed to `-Name`, because `-Name` takes wildcards: a requested name `web*` would "exist" as soon
 * as any `web01` does. Files and folders use `-LiteralPath` for the same reason (`[` is a wildcard).
 */

export const PROVISION_SOURCES_SCRIPT_FIRST_LINE = '# hybridforms:provision-sources';
export const PROVISION_CHECK_SCRIPT_FIRST_LINE = '# hybridforms:provision-check';
export const PROVISION_SOURCES_COMMAND_NAME = 'provision-sources script';
export const PROVISION_CHECK_COMMAND_NAME = 'provision-check script';

/** The Notes tag that marks a VM as a template. */
export const TEMPLATE_NOTES_TAG = '#template';

/** A single-quoted PowerShell string literal: inside one, only `'` is special (doubled). */
export function psQuote(text: string): string {
  return `'${String(text).replace(/'/g, "''")}'`;
}

/** `@('a', 'b')`: an array even with one or no item. */
export function psList(values: readonly string[]): string {
  return `@(${values.map(psQuote).join(', ')})`;
}

const JSON_OUT = [
  '$j = @{ Depth = 5; Compress = $true }',
  'if ($PSVersionTable.PSVersion.Major -ge 7) { $j.EnumsAsStrings = $true }',
];

/**
 * Lists (a) the `*.vhdx` files directly under each library path, with Get-VHD's format, type,
 * sizes and parent, (b) the VMs whose Notes hold `#template`, with their generation, first hard
 * disk and KVP intrinsic items (present only while the template VM runs: the same WMI query as the
 * inventory script), and (c) the library paths that are not folders on this host.
 */
export function buildProvisionSourcesScript(libraryPaths: readonly string[]): string {
  return [
    PROVISION_SOURCES_SCRIPT_FIRST_LINE,
    `$paths = ${psList(libraryPaths)}`,
    '$missing = @()',
    '$vhds = @(foreach ($p in $paths) {',
    '  if (-not (Test-Path -LiteralPath $p -PathType Container)) { $missing += $p; continue }',
    '  foreach ($f in @(Get-ChildItem -LiteralPath $p -Filter *.vhdx -File)) {',
    '    $v = Hyper-V\\Get-VHD -Path $f.FullName -ErrorAction SilentlyContinue',
    '    if ($v) { [pscustomobject]@{ Path = $v.Path; VhdFormat = $v.VhdFormat; VhdType = $v.VhdType; Size = $v.Size; FileSize = $v.FileSize; ParentPath = $v.ParentPath } }',
    '  }',
    '})',
    ...KVP_BY_VM_SCRIPT,
    `$templates = @(foreach ($vm in @(Hyper-V\\Get-VM | Where-Object { $_.Notes -like '*${TEMPLATE_NOTES_TAG}*' })) {`,
    '  $disk = @(Hyper-V\\Get-VMHardDiskDrive -VM $vm | Where-Object { $_.Path })[0]',
    '  [pscustomobject]@{ VMId = ([string]$vm.VMId).ToLower(); VMName = $vm.VMName; Generation = $vm.Generation; State = [string]$vm.State; Notes = $vm.Notes; DiskPath = $disk.Path; Kvp = $kvp[[string]$vm.VMId] }',
    '})',
    ...JSON_OUT,
    'ConvertTo-Json -InputObject ([pscustomobject]@{ ComputerName = (Hyper-V\\Get-VMHost).ComputerName; Vhds = $vhds; Templates = $templates; Missing = $missing }) @j',
    '',
  ].join('\n');
}

/** What one host is asked by the check script. */
export interface ProvisionCheckQuery {
  vmNames: readonly string[];
  switchNames: readonly string[];
  /** Template files (VHDX of a template-vhd source, first disk of a template-vm source). */
  files: readonly string[];
  folders: readonly string[];
}

/**
 * The live facts of one host for the checks: its memory (Get-VMHost MemoryCapacity, the sum of
 * the running VMs' MemoryAssigned, Win32_OperatingSystem FreePhysicalMemory in KB), and for each
 * asked name, switch, file and folder whether it exists.
 */
export function buildProvisionCheckScript(query: ProvisionCheckQuery): string {
  return [
    PROVISION_CHECK_SCRIPT_FIRST_LINE,
    `$names = ${psList(query.vmNames)}`,
    `$switches = ${psList(query.switchNames)}`,
    `$files = ${psList(query.files)}`,
    `$folders = ${psList(query.folders)}`,
    '$h = Hyper-V\\Get-VMHost',
    '$os = Get-CimInstance -ClassName Win32_OperatingSystem',
    '$all = @(Hyper-V\\Get-VM)',
    '$assigned = [int64](($all | Measure-Object -Property MemoryAssigned -Sum).Sum)',
    '$sw = @(Hyper-V\\Get-VMSwitch)',
    '$doc = [pscustomobject]@{',
    '  ComputerName = $h.ComputerName',
    '  LogicalProcessorCount = $h.LogicalProcessorCount',
    '  MemoryCapacity = $h.MemoryCapacity',
    '  MemoryAssigned = $assigned',
    '  FreePhysicalMemoryKB = $os.FreePhysicalMemory',
    '  Vms = @(foreach ($n in $names) { [pscustomobject]@{ Name = $n; Exists = [bool]@($all | Where-Object { $_.Name -eq $n }).Count } })',
    '  Switches = @(foreach ($n in $switches) { [pscustomobject]@{ Name = $n; Exists = [bool]@($sw | Where-Object { $_.Name -eq $n }).Count } })',
    '  Files = @(foreach ($p in $files) { [pscustomobject]@{ Path = $p; Exists = [bool](Test-Path -LiteralPath $p -PathType Leaf) } })',
    '  Folders = @(foreach ($p in $folders) { [pscustomobject]@{ Path = $p; Exists = [bool](Test-Path -LiteralPath $p -PathType Container) } })',
    '}',
    ...JSON_OUT,
    'ConvertTo-Json -InputObject $doc @j',
    '',
  ].join('\n');
}
