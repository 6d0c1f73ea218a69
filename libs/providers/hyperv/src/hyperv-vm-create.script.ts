import { createHash } from 'node:crypto';
import { ProviderError, ProviderErrorCode, type ProvisionSpec } from '@hybridforms/core';
import { DEFAULT_MEMORY_MB, generationOf, templateFileOf } from './hyperv-provision.checks.js';
import { psQuote } from './hyperv-provision.script.js';
import { KVP_BY_VM_SCRIPT } from './hyperv-inventory.script.js';

/**
 * The PowerShell scripts of the create steps: one script per step, one round trip each, every
 * cmdlet synchronous (a script that returns has made what it made).
 *
 * Each looks up what it would make before making it, so a step asked again answers without a
 * second VHD or VM: the VHD by its path, the VM by name among all VMs (`-eq`, never `-Name`,
 * which takes wildcards) and only when its Notes carry our task's tag (a same-named VM without it
 * is someone else's and is reported, not touched). Values reach the script as single-quoted
 * literals on their own `$<name> = …` lines, which the host simulator reads back
 * (powershell-script.contract.ts), and the catch writes the error record as one JSON line
 * (hyperv-action.parser.ts maps it).
 *
 * A step holds a host-wide mutex of its VM name while it looks and acts. Windows OpenSSH does not
 * stop a command whose client went away, so the script of a worker killed mid-step runs on; the
 * step asked again after the restart waits for it (its lookup then sees what that script made)
 * instead of racing it to a second New-VM or to a VM not yet tagged (the guest step only reads, and
 * takes none). A mutex whose holder died is handed on abandoned, which is as good as released; one
 * held past `$lockWaitMs` fails the step with the retryable `LockTimeout` record.
 */

export const VM_CREATE_SCRIPT_FIRST_LINE = '# hybridforms:vm-create';
export const VM_CREATE_COMMAND_NAME = 'vm-create script';

/** The create steps, in the order they run. */
export const HYPERV_CREATE_STEPS = ['vhd', 'vm', 'processor', 'memory', 'network', 'start', 'guest'] as const;
export type HyperVCreateStep = (typeof HYPERV_CREATE_STEPS)[number];

/** The Notes line that marks a VM as made by one of our tasks (like the Azure plugin's `hybridforms-task` tag). */
export function taskTagOf(taskId: string): string {
  return `hybridforms-task=${taskId}`;
}

/**
 * The host-wide mutex of a VM name (`Global\` so every SSH session sees it; creating one needs
 * SeCreateGlobalPrivilege, which Administrators have). Hyper-V compares names case-insensitively,
 * and a name may hold characters a mutex name cannot, hence the hash.
 */
export function vmLockNameOf(vmName: string): string {
  return `Global\\hybridforms-vm-${createHash('sha256').update(vmName.toLowerCase()).digest('hex').slice(0, 32)}`;
}

/** How long a step waits for another step of its VM name by default (below the default command timeout of 120 s). */
export const DEFAULT_LOCK_WAIT_MS = 60_000;

/** What the scripts of one spec are given. */
export interface VmCreateInput {
  name: string;
  /** The Notes of the new VM: our request and task ids. */
  notes: string;
  taskTag: string;
  /** The VHD folder; null = the host's default (Get-VMHost VirtualHardDiskPath). */
  folder: string | null;
  /** The new VHD's file name: `<vm name>` with the template's extension (a differencing child has its parent's format). */
  file: string;
  /** The template VHD (the differencing parent, or the file copied). */
  parent: string;
  copy: boolean;
  generation: 1 | 2;
  memoryBytes: number;
  cpuCount: number;
  switchName: string;
}

const MB = 1024 * 1024;

/** The script input of a spec; a spec the checks would refuse throws. */
export function vmCreateInputOf(spec: ProvisionSpec): VmCreateInput {
  const template = templateFileOf(spec);
  if ('problem' in template) throw new ProviderError(ProviderErrorCode.InvalidConfig, template.problem);
  if (!spec.placement.switchName) throw new ProviderError(ProviderErrorCode.InvalidConfig, 'placement.switchName: must name the virtual switch of the VM\'s network adapter');
  const extension = /\.vhd$/i.test(template.path) ? 'vhd' : 'vhdx';
  return {
    name: spec.name,
    notes: `hybridforms-request=${spec.requestId}; ${taskTagOf(spec.taskId)}`,
    taskTag: taskTagOf(spec.taskId),
    folder: spec.placement.vhdFolder ? spec.placement.vhdFolder.replace(/\\+$/, '') : null,
    file: `${spec.name}.${extension}`,
    parent: template.path,
    copy: spec.placement.copyVhd === true,
    generation: generationOf(spec),
    memoryBytes: (spec.size.memoryMB ?? DEFAULT_MEMORY_MB) * MB,
    // New-VM gives one virtual processor; the step sets it either way, so a changed VM is put back.
    cpuCount: spec.size.cpuCount ?? 1,
    switchName: spec.placement.switchName,
  };
}

/** The VHD path the `vhd` step makes, when it is known without the host (a VHD folder is given). */
export function vhdPathOf(input: VmCreateInput): string | null {
  return input.folder === null ? null : `${input.folder}\\${input.file}`;
}

const ERROR_RECORD_CATCH = [
  '} catch {',
  '  [Console]::Error.WriteLine((ConvertTo-Json -Compress -InputObject ([pscustomobject]@{ Cmdlet = $c; State = $s; ErrorId = [string]$_.FullyQualifiedErrorId; Category = [string]$_.CategoryInfo.Category; Message = $_.Exception.Message })))',
  '  exit 1',
  '}',
];

/** `$vm`: our VM (its Notes carry the tag), `$same`: every VM of that name. */
const FIND_OURS = [
  "  $c = 'Get-VM'",
  '  $same = @(Hyper-V\\Get-VM | Where-Object { $_.Name -eq $name })',
  '  $vm = @($same | Where-Object { "$($_.Notes)".Contains($tag) })[0]',
  '  if ($vm) { $s = [string]$vm.State }',
];

function stepBody(step: HyperVCreateStep, input: VmCreateInput): string[] {
  switch (step) {
    case 'vhd':
      return [
        "  $c = 'Test-Path'",
        '  $existed = Test-Path -LiteralPath $path -PathType Leaf',
        '  if (-not $existed) {',
        "    if ($copy) { $c = 'Copy-Item'; Copy-Item -LiteralPath $parent -Destination $path }",
        "    else { $c = 'New-VHD'; Hyper-V\\New-VHD -Path $path -ParentPath $parent -Differencing | Out-Null }",
        '    $acted = $true',
        '  }',
        "  $c = 'Get-VHD'",
        '  $v = Hyper-V\\Get-VHD -Path $path',
        '  $holders = @(foreach ($x in Hyper-V\\Get-VM) { foreach ($d in Hyper-V\\Get-VMHardDiskDrive -VM $x) { if ($d.Path -eq $path) { $x.VMName } } })',
        '  $extra.Vhd = [pscustomobject]@{ Path = $v.Path; VhdType = [string]$v.VhdType; ParentPath = $v.ParentPath; Existed = $existed; AttachedTo = $holders }',
      ];
    case 'vm':
      return [
        ...FIND_OURS,
        '  if (-not $vm -and $same.Count -eq 0) {',
        "    $c = 'New-VM'; $vm = Hyper-V\\New-VM -Name $name -Generation $gen -MemoryStartupBytes $mem -VHDPath $path",
        // Untagged, the VM would be no task's: a step asked again would refuse it and no cleanup would know it.
        '    try {',
        "      $c = 'Set-VM'; $vm | Hyper-V\\Set-VM -Notes $notes",
        // The default Windows template refuses the RHEL shim: a generation 2 RHEL guest boots only under this one.
        ...(input.generation === 2 ? ["      $c = 'Set-VMFirmware'; $vm | Hyper-V\\Set-VMFirmware -SecureBootTemplate MicrosoftUEFICertificateAuthority"] : []),
        '    } catch { $vm | Hyper-V\\Remove-VM -Force; throw }',
        '    $acted = $true',
        '  }',
      ];
    case 'processor':
      return [...FIND_OURS, "  if ($vm -and $vm.ProcessorCount -ne $cpu) { $c = 'Set-VMProcessor'; $vm | Hyper-V\\Set-VMProcessor -Count $cpu; $acted = $true }"];
    case 'memory':
      return [...FIND_OURS, "  if ($vm -and $vm.MemoryStartup -ne $mem) { $c = 'Set-VMMemory'; $vm | Hyper-V\\Set-VMMemory -StartupBytes $mem; $acted = $true }"];
    case 'network':
      return [
        ...FIND_OURS,
        '  if ($vm) {',
        "    $c = 'Get-VMNetworkAdapter'",
        '    $a = @(Hyper-V\\Get-VMNetworkAdapter -VM $vm)[0]',
        "    if ($a.SwitchName -ne $switch) { $c = 'Connect-VMNetworkAdapter'; $a | Hyper-V\\Connect-VMNetworkAdapter -SwitchName $switch; $acted = $true }",
        '    $extra.SwitchName = @(Hyper-V\\Get-VMNetworkAdapter -VM $vm)[0].SwitchName',
        '  }',
      ];
    case 'start':
      return [...FIND_OURS, "  if ($vm -and $s -ne 'Running') { $c = 'Start-VM'; $vm | Hyper-V\\Start-VM; $acted = $true }"];
    case 'guest':
      return [
        ...FIND_OURS,
        '  if ($vm) {',
        "    $c = 'Get-CimInstance'",
        // Its loop variable renamed: `$c` names the cmdlet the catch reports.
        ...KVP_BY_VM_SCRIPT.map((line) => `    ${line.replace(/\$c\b/g, '$kc')}`),
        '    $extra.Kvp = $kvp[[string]$vm.VMId]',
        "    $c = 'Get-VMNetworkAdapter'",
        '    $extra.IPAddresses = @(Hyper-V\\Get-VMNetworkAdapter -VM $vm | ForEach-Object { $_.IPAddresses } | Where-Object { $_ })',
        '  }',
      ];
  }
}

/**
 * The script of one create step. It prints `{ Step, Acted, Others, VM, … }`: whether it acted,
 * how many VMs of the name are not ours, our VM as it is now (or null), and the step's facts
 * (`Vhd`, `SwitchName`, `Kvp` and `IPAddresses`).
 */
export function buildVmCreateScript(step: HyperVCreateStep, input: VmCreateInput, lockWaitMs = DEFAULT_LOCK_WAIT_MS): string {
  if (!(HYPERV_CREATE_STEPS as readonly string[]).includes(step)) throw new ProviderError(ProviderErrorCode.Unknown, `Hyper-V provisioning has no step '${String(step)}'`);
  // The guest step only reads (and is asked every second while the guest boots): it takes no mutex.
  const locks = step !== 'guest';
  return [
    VM_CREATE_SCRIPT_FIRST_LINE,
    `$step = ${psQuote(step)}`,
    `$name = ${psQuote(input.name)}`,
    `$tag = ${psQuote(input.taskTag)}`,
    `$notes = ${psQuote(input.notes)}`,
    input.folder === null ? '$folder = (Hyper-V\\Get-VMHost).VirtualHardDiskPath' : `$folder = ${psQuote(input.folder)}`,
    `$file = ${psQuote(input.file)}`,
    `$parent = ${psQuote(input.parent)}`,
    `$copy = ${input.copy ? '$true' : '$false'}`,
    `$gen = ${input.generation}`,
    `$mem = ${Math.trunc(input.memoryBytes)}`,
    `$cpu = ${Math.trunc(input.cpuCount)}`,
    `$switch = ${psQuote(input.switchName)}`,
    ...(locks ? [`$lockName = ${psQuote(vmLockNameOf(input.name))}`, `$lockWaitMs = ${Math.max(1, Math.trunc(lockWaitMs))}`, '$held = $false', '$lock = New-Object System.Threading.Mutex($false, $lockName)'] : []),
    "$c = 'Get-VM'",
    '$s = $null',
    'try {',
    ...(locks
      ? [
          "  $c = 'Mutex.WaitOne'",
          '  try { $held = $lock.WaitOne($lockWaitMs) } catch [System.Threading.AbandonedMutexException] { $held = $true }',
          `  if (-not $held) { Write-Error -ErrorId 'LockTimeout' -Category OperationTimeout -Message "another create step of VM '$name' still runs on this host after $([int]($lockWaitMs / 1000)) s" -ErrorAction Stop }`,
          "  $c = 'Get-VM'",
        ]
      : []),
    '  $path = [IO.Path]::Combine($folder, $file)',
    '  $acted = $false',
    '  $vm = $null',
    '  $same = @()',
    '  $extra = @{}',
    ...stepBody(step, input),
    // Read again: the state, processors and memory after the step.
    '  if ($vm) { $vm = @(Hyper-V\\Get-VM | Where-Object { $_.Name -eq $name -and "$($_.Notes)".Contains($tag) })[0] }',
    '  $o = if ($vm) { [pscustomobject]@{ VMId = ([string]$vm.VMId).ToLower(); VMName = $vm.VMName; State = [string]$vm.State; ProcessorCount = $vm.ProcessorCount; MemoryStartup = $vm.MemoryStartup; Notes = $vm.Notes } } else { $null }',
    '  $doc = [pscustomobject]@{ Step = $step; Acted = $acted; Others = @($same | Where-Object { -not "$($_.Notes)".Contains($tag) }).Count; Path = $path; VM = $o }',
    '  foreach ($k in $extra.Keys) { $doc | Add-Member -NotePropertyName $k -NotePropertyValue $extra[$k] }',
    '  ConvertTo-Json -Compress -Depth 4 -InputObject $doc',
    ...ERROR_RECORD_CATCH.slice(0, -1),
    // Runs on `exit` too; a holder killed outright leaves the mutex abandoned, which the next WaitOne takes.
    ...(locks ? ['} finally {', '  if ($held) { $lock.ReleaseMutex() }', '  $lock.Dispose()'] : []),
    '}',
    '',
  ].join('\n');
}
