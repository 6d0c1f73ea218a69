import { clixmlErrorRecord } from './clixml.stream.js';
import { isActiveState, type HyperVEstate } from './hyperv-estate.js';
import type { ErrorRecordJson, HyperVStopCause, HyperVVmState, VhdFactsJson, VhdJson, VmActionResultJson } from './hyperv-host-simulator.types.js';
import type { ScriptAnswer } from './events.projector.js';
import { DEFAULT_VIRTUAL_HARD_DISK_PATH, VM_ACTION_CMDLETS, writesErrorRecordJson, writesPlainErrors, type VmActionCmdlet } from './powershell-script.contract.js';
import type { PowerShellJsonSerializer } from './powershell-json.serializer.js';

/**
 * Runs the action scripts (VM_ACTION_SCRIPT_MARKER, VHD_FACTS_SCRIPT_MARKER,
 * VHD_REMOVE_SCRIPT_MARKER) against the estate with Hyper-V's own rules: which state each cmdlet
 * accepts, the error record it raises otherwise, and the event records the host writes.
 */

/** One step of a VM action script: a cmdlet piped `$vm` into, under a condition on the state before. */
export interface VmActionStep {
  /** null = unconditional. */
  condition: { operator: '-eq' | '-ne' | '-in' | '-notin'; states: string[] } | null;
  cmdlet: VmActionCmdlet;
  /** Lower-case, with the dash: `-force`, `-turnoff`. */
  switches: string[];
}

export interface VmActionScript {
  vmId: string;
  steps: VmActionStep[];
}

/** What the host does to its estate and journal (the simulator's own mutations, so the events are the usual ones). */
export interface VmActionHost {
  readonly estate: HyperVEstate;
  setState(vmId: string, state: HyperVVmState, options?: { cause?: HyperVStopCause }): void;
  resetVm(vmId: string): void;
  removeVm(vmId: string): void;
  failStart(vmId: string): void;
  /** A 'cmdlet-error' fault for this cmdlet: its message (null = the default), or undefined. */
  cmdletError(cmdlet: string): { message: string | null } | undefined;
}

/** The answer, and labels of what the host did (HyperVSimRequest.label). */
export interface ActionOutcome {
  answer: ScriptAnswer;
  labels: string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A call, not a mention: `$c = 'Get-VM'` names the cmdlet the catch reports.
const GET_VM_CALL = /(?<![\w'\\-])(?:Hyper-V\\)?Get-VM(?![\w'-])([^\n;|)]*)/gi;
const STEP_LINE =
  /^\s*(?:if\s*\(\s*\$s\s+(-eq|-ne|-in|-notin)\s+('[^']*'(?:\s*,\s*'[^']*')*)\s*\)\s*\{\s*)?\$c\s*=\s*'([\w-]+)'\s*;\s*\$vm\s*\|\s*(?:Hyper-V\\)?([\w-]+)((?:\s+-\w+)*)\s*;\s*\$acted\s*=\s*\$true\s*(\})?\s*$/i;

/** Switch parameters each cmdlet has (Hyper-V module); anything else is refused as PowerShell would. */
const SWITCHES: Record<VmActionCmdlet, readonly string[]> = {
  'Start-VM': ['-passthru', '-asjob'],
  'Stop-VM': ['-force', '-turnoff', '-save', '-passthru', '-asjob'],
  'Save-VM': ['-passthru', '-asjob'],
  'Suspend-VM': ['-passthru', '-asjob'],
  'Resume-VM': ['-passthru', '-asjob'],
  'Restart-VM': ['-force', '-passthru', '-asjob'],
  'Remove-VM': ['-force', '-passthru', '-asjob'],
};

/** The error id's suffix: Microsoft.HyperV.PowerShell.Commands.<Verb><Noun>. */
function commandClass(cmdlet: string): string {
  return cmdlet === 'Remove-Item' ? 'Microsoft.PowerShell.Commands.RemoveItemCommand' : `Microsoft.HyperV.PowerShell.Commands.${cmdlet.replace('-', '')}`;
}

/**
 * Reads a VM action script. Throws with the host's complaint when it strays from the grammar of
 * VM_ACTION_SCRIPT_MARKER (notably a VM selected by anything but one `Get-VM -Id '<guid>'`).
 */
export function parseVmActionScript(script: string): VmActionScript {
  const ids = new Set<string>();
  for (const call of script.matchAll(GET_VM_CALL)) {
    const id = /^\s+-Id\s+'([^']+)'\s*$/i.exec(call[1]);
    if (!id || !GUID.test(id[1])) throw new Error(`HyperVHostSimulator: the vm-action script calls Get-VM${call[1]}; it must select its VM by -Id '<guid>' only.`);
    ids.add(id[1].toLowerCase());
  }
  if (ids.size !== 1) throw new Error(`HyperVHostSimulator: the vm-action script must name exactly one VM id (found ${ids.size}).`);
  if (!/\$s\s*=\s*\[string\]\$vm\.State/i.test(script)) throw new Error('HyperVHostSimulator: the vm-action script does not keep the state before ($s = [string]$vm.State).');
  const steps: VmActionStep[] = [];
  for (const line of script.split(/\r?\n/)) {
    if (!/\$vm\s*\|/.test(line)) continue;
    const m = STEP_LINE.exec(line);
    if (!m) throw new Error(`HyperVHostSimulator: unsupported vm-action step: ${line.trim()}`);
    const [, operator, list, named, invoked, switchText, closing] = m;
    const cmdlet = VM_ACTION_CMDLETS.find((c) => c.toLowerCase() === invoked.toLowerCase());
    if (!cmdlet) throw new Error(`HyperVHostSimulator: ${invoked} is not a VM action cmdlet.`);
    if (named.toLowerCase() !== cmdlet.toLowerCase()) throw new Error(`HyperVHostSimulator: the step sets $c = '${named}' but runs ${cmdlet}.`);
    if ((operator === undefined) !== (closing === undefined)) throw new Error(`HyperVHostSimulator: unbalanced braces in: ${line.trim()}`);
    steps.push({
      condition: operator ? { operator: operator.toLowerCase() as '-eq', states: [...list.matchAll(/'([^']*)'/g)].map((s) => s[1].toLowerCase()) } : null,
      cmdlet,
      switches: switchText.trim() === '' ? [] : switchText.trim().split(/\s+/).map((s) => s.toLowerCase()),
    });
  }
  if (steps.length === 0) throw new Error('HyperVHostSimulator: the vm-action script applies no cmdlet to $vm.');
  return { vmId: [...ids][0], steps };
}

function holds(condition: VmActionStep['condition'], state: string): boolean {
  if (condition === null) return true;
  const s = state.toLowerCase();
  switch (condition.operator) {
    case '-eq':
      return s === condition.states[0];
    case '-ne':
      return s !== condition.states[0];
    case '-in':
      return condition.states.includes(s);
    case '-notin':
      return !condition.states.includes(s);
  }
}

/** The single-quoted `$p = '<path>'` of a VHD script, unescaped (`''` is one quote). */
export function parseVhdScriptPath(script: string): string {
  const m = /^\s*\$p\s*=\s*'((?:[^']|'')*)'\s*$/m.exec(script);
  if (!m) throw new Error("HyperVHostSimulator: the VHD script sets no path ($p = '<path>').");
  return m[1].replace(/''/g, "'");
}

export class VmActionProjector {
  constructor(private readonly serializer: PowerShellJsonSerializer) {}

  /** Runs a parsed VM action script. */
  runVmAction(host: VmActionHost, script: string, request: VmActionScript): ActionOutcome {
    const labels: string[] = [];
    const fail = (record: ErrorRecordJson): ActionOutcome => {
      labels.push(`failed ${record.Cmdlet} ${request.vmId}`);
      return { answer: this.errorAnswer(script, record), labels };
    };
    if (!host.estate.vmIds().includes(request.vmId)) {
      return fail({
        Cmdlet: 'Get-VM',
        State: null,
        ErrorId: 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM',
        Category: 'ObjectNotFound',
        Message: `Hyper-V was unable to find a virtual machine with id "${request.vmId}".`,
      });
    }
    const first = host.estate.get(request.vmId);
    const vm = { vmId: first.vmId, name: first.name };
    const before = first.state;
    let last: string | null = null;
    let removed = false;
    for (const step of request.steps) {
      if (!holds(step.condition, before)) continue;
      const error = this.apply(host, request.vmId, step, before);
      if (error) return fail(error);
      labels.push(`${step.cmdlet}${step.switches.map((s) => ` ${displaySwitch(s)}`).join('')} ${request.vmId}`);
      last = step.cmdlet;
      if (step.cmdlet === 'Remove-VM') {
        removed = true;
        break;
      }
    }
    if (last === null) labels.push(`no-op ${request.vmId}`);
    const result: VmActionResultJson = {
      VMId: vm.vmId,
      VMName: vm.name,
      Before: before,
      After: removed ? null : host.estate.get(request.vmId).state,
      Acted: last !== null,
      Cmdlet: last,
    };
    return { answer: { stdout: this.serializer.stringify(result) }, labels };
  }

  /** What the vhd-facts script prints for the path. */
  vhdFacts(estate: HyperVEstate, path: string): string {
    const folder = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('\\'))).toLowerCase();
    const folders = new Set([folder(path), DEFAULT_VIRTUAL_HARD_DISK_PATH.toLowerCase()]);
    const drives = estate.list().flatMap((vm) => vm.hardDrives.map((d) => ({ VMId: vm.vmId, VMName: vm.name, Path: d.path })));
    const queue = [
      ...estate
        .vhdFiles()
        .filter((f) => folders.has(folder(f.path)) && /\.a?vhdx?$/i.test(f.path))
        .map((f) => f.path),
      ...drives.map((d) => d.Path),
    ];
    const seen = new Set<string>();
    const vhds: VhdJson[] = [];
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (seen.has(next.toLowerCase())) continue;
      seen.add(next.toLowerCase());
      // Get-VHD -ErrorAction SilentlyContinue: a missing file prints nothing.
      const file = estate.vhdFile(next);
      if (!file) continue;
      if (file.parentPath) queue.push(file.parentPath);
      vhds.push({ Path: file.path, VhdType: file.vhdType, ParentPath: file.parentPath });
    }
    const facts: VhdFactsJson = { Exists: estate.vhdFile(path) !== null, Drives: drives, Vhds: vhds };
    return this.serializer.stringify(facts);
  }

  /** Runs the vhd-remove script: Test-Path, then Remove-Item unless a running VM holds the file open. */
  removeVhd(host: VmActionHost, script: string, path: string): ActionOutcome {
    const file = host.estate.vhdFile(path);
    if (!file) return { answer: { stdout: this.serializer.stringify({ Path: path, Removed: false }) }, labels: [`no-op ${path}`] };
    const fault = host.cmdletError('Remove-Item');
    const holder = host.estate.list().find((vm) => isActiveState(vm.state) && vm.hardDrives.some((d) => d.path.toLowerCase() === path.toLowerCase()));
    if (fault || holder) {
      const message = fault?.message ?? `Cannot remove item ${file.path}: The process cannot access the file '${file.path}' because it is being used by another process.`;
      const record = { Cmdlet: 'Remove-Item', State: null, ErrorId: `RemoveFileSystemItemIOError,${commandClass('Remove-Item')}`, Category: 'WriteError', Message: message };
      return { answer: this.errorAnswer(script, record), labels: [`failed Remove-Item ${path}`] };
    }
    host.estate.removeVhdFile(path);
    return { answer: { stdout: this.serializer.stringify({ Path: path, Removed: true }) }, labels: [`Remove-Item ${path}`] };
  }

  /**
   * Applies one cmdlet as Hyper-V would; the error record when it refuses. Every cmdlet here
   * waits for its transition, so the VM is in the end state when it returns.
   */
  private apply(host: VmActionHost, vmId: string, step: VmActionStep, before: string): ErrorRecordJson | null {
    const vm = host.estate.get(vmId);
    const { cmdlet, switches } = step;
    const record = (errorId: string, category: string, message: string): ErrorRecordJson => ({
      Cmdlet: cmdlet,
      State: before,
      ErrorId: `${errorId},${commandClass(cmdlet)}`,
      Category: category,
      Message: message,
    });
    const unknown = switches.find((s) => !SWITCHES[cmdlet].includes(s));
    if (unknown) return record('NamedParameterNotFound', 'InvalidArgument', `A parameter cannot be found that matches parameter name '${unknown.slice(1)}'.`);
    // Without -Force these two ask for confirmation, which -NonInteractive turns into an error (wording unverified).
    if ((cmdlet === 'Restart-VM' || cmdlet === 'Remove-VM') && !switches.includes('-force')) {
      return record('HostException', 'NotSpecified', 'PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.');
    }
    const invalidState = () => record('InvalidState', 'InvalidOperation', 'The operation cannot be performed while the object is in its current state.');
    const state = vm.state;
    const turnOff = cmdlet === 'Stop-VM' && switches.includes('-turnoff');
    const saveByStop = cmdlet === 'Stop-VM' && switches.includes('-save');
    let next: (() => void) | null = null;
    switch (cmdlet) {
      case 'Start-VM':
        if (state === 'Off' || state === 'Saved') next = () => host.setState(vmId, 'Running');
        break;
      case 'Stop-VM':
        if (turnOff) {
          // Turning off works from any state a VM can be in but Off (a Saved VM loses its saved state).
          if (state !== 'Off') next = () => host.setState(vmId, 'Off', { cause: 'turn-off' });
        } else if (saveByStop) {
          if (state === 'Running' || state === 'Paused') next = () => host.setState(vmId, 'Saved');
        } else if (state === 'Running') {
          if (!host.estate.shutdownServiceAvailable(vm)) {
            // Wording unverified: Stop-VM's refusal when the guest cannot take a shutdown request.
            return record(
              'Unspecified',
              'NotSpecified',
              `The virtual machine '${vm.name}' cannot be shut down because the shutdown integration service is unavailable or disabled. Use -TurnOff to turn it off.`,
            );
          }
          next = () => host.setState(vmId, 'Off', { cause: 'shutdown-ic' });
        }
        break;
      case 'Save-VM':
        if (state === 'Running' || state === 'Paused') next = () => host.setState(vmId, 'Saved');
        break;
      case 'Suspend-VM':
        if (state === 'Running') next = () => host.setState(vmId, 'Paused');
        break;
      case 'Resume-VM':
        if (state === 'Paused') next = () => host.setState(vmId, 'Running');
        break;
      case 'Restart-VM':
        if (state === 'Running') next = () => host.resetVm(vmId);
        break;
      case 'Remove-VM':
        next = () => host.removeVm(vmId);
        break;
    }
    if (next === null) return invalidState();
    const fault = host.cmdletError(cmdlet);
    if (fault) {
      if (cmdlet === 'Start-VM') host.failStart(vmId);
      return record('OperationFailed', 'NotSpecified', fault.message ?? `'${vm.name}' failed to change state.`);
    }
    next();
    return null;
  }

  private errorAnswer(script: string, record: ErrorRecordJson): ScriptAnswer {
    if (writesErrorRecordJson(script)) return { stderr: this.serializer.stringify(record), code: 1 };
    if (writesPlainErrors(script)) return { stderr: `${record.Message}\r\n`, code: 1 };
    return {
      stderr: clixmlErrorRecord([
        `${record.Cmdlet} : ${record.Message}`,
        `    + CategoryInfo          : ${record.Category}: (:) [${record.Cmdlet}], VirtualizationException`,
        `    + FullyQualifiedErrorId : ${record.ErrorId}`,
        ' ',
      ]),
      code: 1,
    };
  }
}

function displaySwitch(s: string): string {
  const names: Record<string, string> = { '-force': '-Force', '-turnoff': '-TurnOff', '-save': '-Save', '-passthru': '-Passthru', '-asjob': '-AsJob' };
  return names[s] ?? s;
}
