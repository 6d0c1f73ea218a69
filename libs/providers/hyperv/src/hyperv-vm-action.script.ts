import { ProviderError, ProviderErrorCode, type VmAction, type VmActionRequest } from '@hybridforms/core';

/**
 * The PowerShell scripts of the lifecycle duties: a power action or Remove-VM on one VM, and the
 * look-up and removal of one VHD file. Each is one round trip and waits for the change
 * (the Hyper-V cmdlets are synchronous), so a plugin call that returns has settled.
 *
 * Safety: a VM is only ever selected by `Get-VM -Id '<guid>'` (names are not unique and may hold
 * anything), and nothing reaches a script that was not validated first: GUIDs by a strict pattern,
 * paths by {@link parseVhdPath}. A script's own catch writes the error record as one JSON line on
 * stderr (cmdlet, state before, FullyQualifiedErrorId, category, message) so the plugin can say
 * what Hyper-V refused and why (hyperv-action.parser.ts).
 */

export const VM_ACTION_SCRIPT_FIRST_LINE = '# hybridforms:vm-action';
export const VHD_FACTS_SCRIPT_FIRST_LINE = '# hybridforms:vhd-facts';
export const VHD_REMOVE_SCRIPT_FIRST_LINE = '# hybridforms:vhd-remove';

export const VM_ACTION_COMMAND_NAME = 'vm-action script';
export const VHD_FACTS_COMMAND_NAME = 'vhd-facts script';
export const VHD_REMOVE_COMMAND_NAME = 'vhd-remove script';

/** The power actions a Hyper-V VM has (no `deallocate`: that is Azure's). */
export const HYPERV_VM_ACTIONS = ['start', 'stop', 'restart', 'suspend', 'resume'] as const satisfies readonly VmAction[];
export type HyperVVmAction = (typeof HYPERV_VM_ACTIONS)[number];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The lower-case VM GUID, or a ProviderError: anything else must never reach a script. */
export function parseVmGuid(nativeId: string): string {
  if (typeof nativeId !== 'string' || !GUID.test(nativeId)) {
    throw new ProviderError(ProviderErrorCode.NotFound, `'${String(nativeId).slice(0, 80)}' is not a Hyper-V VM id (a GUID)`);
  }
  return nativeId.toLowerCase();
}

/** Characters Windows forbids in paths, control characters, and the quotes PowerShell also reads as `'` (U+2018–U+201B). */
const FORBIDDEN_PATH_CHARACTERS = /[<>"|?*\u0000-\u001f\u2018-\u201b]/;
const ABSOLUTE_PATH = /^(?:[A-Za-z]:\\|\\\\[^\\]+\\[^\\]+\\)/;

/**
 * A VHD path safe to put in a single-quoted PowerShell string: absolute (drive or UNC), no `.`/`..`
 * segments, a `.vhd`/`.vhdx` file (checkpoint `.avhdx` files belong to a chain and are never ours
 * to delete). Throws a ProviderError otherwise.
 */
export function parseVhdPath(path: string): string {
  const problem =
    typeof path !== 'string' || path.length > 1024
      ? 'not a path'
      : !ABSOLUTE_PATH.test(path)
        ? 'not an absolute Windows path'
        : FORBIDDEN_PATH_CHARACTERS.test(path)
          ? 'it holds characters a Windows path cannot have'
          : path.split('\\').some((segment, i) => i > 1 && (segment === '.' || segment === '..'))
            ? 'it has . or .. segments'
            : !/\.vhdx?$/i.test(path)
              ? 'not a .vhd or .vhdx file'
              : null;
  if (problem) throw new ProviderError(ProviderErrorCode.NotFound, `'${String(path).slice(0, 200)}' is not a Hyper-V virtual hard disk path: ${problem}`);
  return path;
}

/** A single-quoted PowerShell string literal: inside one, only `'` is special (doubled). */
function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The catch of every action script: the error record as one JSON line, exit 1. */
const ERROR_RECORD_CATCH = [
  '} catch {',
  '  [Console]::Error.WriteLine((ConvertTo-Json -Compress -InputObject ([pscustomobject]@{ Cmdlet = $c; State = $s; ErrorId = [string]$_.FullyQualifiedErrorId; Category = [string]$_.CategoryInfo.Category; Message = $_.Exception.Message })))',
  '  exit 1',
  '}',
];

/** One step: `$vm` piped into a cmdlet when the state before passes `condition` (a PowerShell test of `$s`). */
function step(cmdlet: string, switches: string, condition: string | null): string {
  const body = `$c = '${cmdlet}'; $vm | Hyper-V\\${cmdlet}${switches ? ` ${switches}` : ''}; $acted = $true`;
  return condition ? `  if (${condition}) { ${body} }` : `  ${body}`;
}

/**
 * The steps of an action. Each but restart is skipped in its end state (a resumed operation may
 * ask twice); a wrong state is left to Hyper-V to refuse, so the operator reads its own error.
 */
function actionSteps(request: VmActionRequest): string[] {
  switch (request.action as HyperVVmAction) {
    case 'start':
      return [step('Start-VM', '', "$s -ne 'Running'")];
    case 'stop':
      // -Force only skips the prompt; -TurnOff is pulling the plug instead of a guest shutdown.
      return [step('Stop-VM', request.force === true ? '-TurnOff -Force' : '-Force', "$s -ne 'Off'")];
    case 'suspend':
      return [step('Save-VM', '', "$s -ne 'Saved'")];
    case 'resume':
      // A saved VM resumes by starting; anything else but Running is Resume-VM's to accept (Paused) or refuse.
      return [step('Start-VM', '', "$s -eq 'Saved'"), step('Resume-VM', '', "$s -notin 'Running','Saved'")];
    case 'restart':
      return [step('Restart-VM', '-Force', null)];
    default:
      throw new ProviderError(ProviderErrorCode.Unknown, `Hyper-V VMs have no '${String(request.action)}' action (they have ${HYPERV_VM_ACTIONS.join(', ')})`);
  }
}

function vmScript(vmId: string, steps: string[], removes: boolean): string {
  const id = quote(parseVmGuid(vmId));
  return [
    VM_ACTION_SCRIPT_FIRST_LINE,
    "$c = 'Get-VM'",
    '$s = $null',
    'try {',
    `  $vm = Hyper-V\\Get-VM -Id ${id}`,
    '  $s = [string]$vm.State',
    '  $acted = $false',
    ...steps,
    removes ? '  $a = $null' : `  $a = [string](Hyper-V\\Get-VM -Id ${id}).State`,
    '  ConvertTo-Json -Compress -InputObject ([pscustomobject]@{ VMId = ([string]$vm.VMId).ToLower(); VMName = $vm.VMName; Before = $s; After = $a; Acted = $acted; Cmdlet = $(if ($acted) { $c } else { $null }) })',
    ...ERROR_RECORD_CATCH,
    '',
  ].join('\n');
}

/** The script of a power action on one VM; it prints {@link VmActionResult}'s JSON. */
export function buildVmActionScript(vmId: string, request: VmActionRequest): string {
  return vmScript(vmId, actionSteps(request), false);
}

/** Turns the VM off unless it is Off, then Remove-VM (its VHD files stay). */
export function buildRemoveVmScript(vmId: string): string {
  return vmScript(vmId, [step('Stop-VM', '-TurnOff -Force', "$s -ne 'Off'"), step('Remove-VM', '-Force', null)], true);
}

/**
 * The script that lists what the host knows around one VHD: whether it exists, every VM's
 * drives, and Get-VHD (type, parent) of the files of its folder and of the host's default VHD
 * folder, of every drive, and of their parent chains. The plugin decides from that.
 */
export function buildVhdFactsScript(path: string): string {
  return [
    VHD_FACTS_SCRIPT_FIRST_LINE,
    `$p = ${quote(parseVhdPath(path))}`,
    '$dirs = @([IO.Path]::GetDirectoryName($p), (Hyper-V\\Get-VMHost).VirtualHardDiskPath) | Select-Object -Unique',
    '$drives = @(foreach ($vm in Hyper-V\\Get-VM) { foreach ($d in Hyper-V\\Get-VMHardDiskDrive -VM $vm) { [pscustomobject]@{ VMId = ([string]$vm.VMId).ToLower(); VMName = $vm.VMName; Path = $d.Path } } })',
    '$todo = New-Object System.Collections.Queue',
    "foreach ($f in @(Get-ChildItem -LiteralPath $dirs -File -ErrorAction SilentlyContinue)) { if ($f.Extension -match '^\\.a?vhdx?$') { $todo.Enqueue($f.FullName) } }",
    'foreach ($d in $drives) { if ($d.Path) { $todo.Enqueue($d.Path) } }',
    '$seen = @{}',
    '$vhds = @(while ($todo.Count -gt 0) {',
    '  $x = $todo.Dequeue()',
    '  if ($seen.ContainsKey($x.ToLower())) { continue }',
    '  $seen[$x.ToLower()] = $true',
    '  $v = Hyper-V\\Get-VHD -Path $x -ErrorAction SilentlyContinue',
    '  if ($v) {',
    '    if ($v.ParentPath) { $todo.Enqueue($v.ParentPath) }',
    '    [pscustomobject]@{ Path = $v.Path; VhdType = [string]$v.VhdType; ParentPath = $v.ParentPath }',
    '  }',
    '})',
    'ConvertTo-Json -Compress -Depth 3 -InputObject ([pscustomobject]@{ Exists = [bool](Test-Path -LiteralPath $p -PathType Leaf); Drives = $drives; Vhds = $vhds })',
    '',
  ].join('\n');
}

/** Deletes the VHD file when it exists (missing = nothing to do); prints `{ Path, Removed }`. */
export function buildVhdRemoveScript(path: string): string {
  return [
    VHD_REMOVE_SCRIPT_FIRST_LINE,
    `$p = ${quote(parseVhdPath(path))}`,
    "$c = 'Test-Path'",
    '$s = $null',
    'try {',
    '  $r = $false',
    "  if (Test-Path -LiteralPath $p -PathType Leaf) { $c = 'Remove-Item'; Remove-Item -LiteralPath $p -Force; $r = $true }",
    '  ConvertTo-Json -Compress -InputObject ([pscustomobject]@{ Path = $p; Removed = $r })',
    ...ERROR_RECORD_CATCH,
    '',
  ].join('\n');
}
