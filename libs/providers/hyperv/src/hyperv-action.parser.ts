import { ProviderError, ProviderErrorCode } from '@hybridforms/core';
import { parsePowerShellJsonObject, powerShellFailure, type PowerShellRecord } from './powershell-output.parser.js';

/** What a VM action script printed. */
export interface VmActionResult {
  vmId: string;
  vmName: string;
  /** `[string]$vm.State` before, e.g. `Running`. */
  before: string;
  /** The state after; null once removed. */
  after: string | null;
  /** false: the VM was in the end state already, nothing was applied. */
  acted: boolean;
  /** The last cmdlet applied. */
  cmdlet: string | null;
}

/** An error record as the action scripts' catch writes it (one JSON line on stderr). */
export interface ActionErrorRecord {
  cmdlet: string;
  /** The VM's state before; null when Get-VM itself failed (or for a file). */
  state: string | null;
  /** FullyQualifiedErrorId, e.g. `InvalidState,Microsoft.HyperV.PowerShell.Commands.StartVM`. */
  errorId: string;
  /** CategoryInfo.Category, e.g. `InvalidOperation`, `ObjectNotFound`. */
  category: string;
  message: string;
}

/** What the vhd-facts script printed. */
export interface VhdFacts {
  exists: boolean;
  drives: { vmId: string; vmName: string; path: string | null }[];
  vhds: { path: string; vhdType: string; parentPath: string | null }[];
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function required(command: string, record: PowerShellRecord | null): PowerShellRecord {
  if (!record) throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed nothing`);
  return record;
}

export function parseVmActionResult(stdout: string, command: string): VmActionResult {
  const json = required(command, parsePowerShellJsonObject(stdout, command));
  const vmId = text(json.VMId);
  const before = text(json.Before);
  if (!vmId || !before || typeof json.Acted !== 'boolean') {
    throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed no VMId, Before and Acted`);
  }
  return { vmId: vmId.toLowerCase(), vmName: text(json.VMName) ?? vmId, before, after: text(json.After), acted: json.Acted, cmdlet: text(json.Cmdlet) };
}

/** `{ Path, Removed }` of the vhd-remove script. */
export function parseVhdRemoveResult(stdout: string, command: string): { path: string; removed: boolean } {
  const json = required(command, parsePowerShellJsonObject(stdout, command));
  if (typeof json.Removed !== 'boolean') throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed no Removed flag`);
  return { path: text(json.Path) ?? '', removed: json.Removed };
}

export function parseVhdFacts(stdout: string, command: string): VhdFacts {
  const json = required(command, parsePowerShellJsonObject(stdout, command));
  // `@()` keeps both lists arrays; a bare object would still be one item.
  const list = (value: unknown): PowerShellRecord[] => (Array.isArray(value) ? value : value ? [value] : []).filter((v): v is PowerShellRecord => typeof v === 'object' && v !== null);
  if (typeof json.Exists !== 'boolean') throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed no Exists flag`);
  return {
    exists: json.Exists,
    drives: list(json.Drives).map((d) => ({ vmId: (text(d.VMId) ?? '').toLowerCase(), vmName: text(d.VMName) ?? '', path: text(d.Path) })),
    vhds: list(json.Vhds)
      .filter((v) => text(v.Path) !== null)
      .map((v) => ({ path: text(v.Path) as string, vhdType: text(v.VhdType) ?? 'Unknown', parentPath: text(v.ParentPath) })),
  };
}

/**
 * Why a VHD must not be deleted, or null when it may: attached to a VM (any state: the VM would
 * lose its disk), or the parent of a VHD the host knows (deleting a differencing base breaks
 * every child). Paths compare case-insensitively, as NTFS does.
 */
export function vhdRemovalRefusal(facts: VhdFacts, path: string): string | null {
  const same = (a: string | null) => a !== null && a.toLowerCase() === path.toLowerCase();
  const drive = facts.drives.find((d) => same(d.path));
  if (drive) return `it is attached to VM '${drive.vmName}' (${drive.vmId})`;
  const child = facts.vhds.find((v) => same(v.parentPath));
  if (child) return `it is the parent of the differencing disk ${child.path}; deleting it would break that disk`;
  return null;
}

/** The error record the script's catch wrote, or null when stderr is something else (CLIXML, plain text). */
export function parseActionErrorRecord(stderr: string): ActionErrorRecord | null {
  const line = stderr
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.startsWith('{'));
  if (!line) return null;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const r = json as PowerShellRecord;
  const message = text(r.Message);
  if (!message) return null;
  return { cmdlet: text(r.Cmdlet) ?? 'PowerShell', state: text(r.State), errorId: text(r.ErrorId) ?? '', category: text(r.Category) ?? '', message };
}

/** What a failed action was about, for the message. */
export interface ActionFailureContext {
  /** e.g. `VM 'rhel9-web01' (0f4e…)` or `VHD C:\…\x.vhdx`. */
  subject: string;
  /** `host:port`. */
  where: string;
  /** The command name, for failures that are not error records. */
  command: string;
}

/**
 * The ProviderError of a failed action script: the error record mapped to our codes with a
 * message naming the cmdlet, the state and Hyper-V's own words; anything else as
 * {@link powerShellFailure} does.
 * - InvalidState (the VM's state does not allow the cmdlet): Conflict, not retryable: the same
 *   request in the same state fails again.
 * - ObjectNotFound (Get-VM -Id found nothing): NotFound.
 * - PermissionDenied / access denied: Forbidden.
 */
export function actionFailure(result: { stderr: string; code: number | null }, context: ActionFailureContext): ProviderError {
  const record = parseActionErrorRecord(result.stderr);
  if (!record) return powerShellFailure(`${context.command} on ${context.where}`, result);
  const { cmdlet, state, errorId, category, message } = record;
  const id = errorId ? ` [${errorId}]` : '';
  const on = `${context.subject} on Hyper-V host ${context.where}`;
  if (/^InvalidState,/i.test(errorId)) {
    return new ProviderError(ProviderErrorCode.Conflict, `Hyper-V refused ${cmdlet} on ${on}: ${state ? `the VM is ${state}, a state ${cmdlet} cannot act from` : `its state does not allow ${cmdlet}`} ("${message}")${id}`);
  }
  if (/ObjectNotFound/i.test(category) || /unable to find a virtual machine/i.test(message)) {
    return new ProviderError(ProviderErrorCode.NotFound, `${context.subject} is not on Hyper-V host ${context.where} (${cmdlet}: "${message}")${id}`);
  }
  if (/shutdown integration service/i.test(message)) {
    return new ProviderError(
      ProviderErrorCode.Unknown,
      `${cmdlet} cannot shut down the guest of ${on} (state ${state ?? 'unknown'}): its shutdown integration service is not available or not enabled; stop it with force to turn it off ("${message}")${id}`,
    );
  }
  if (/PermissionDenied/i.test(category) || /required permission|access is denied/i.test(message)) {
    return new ProviderError(ProviderErrorCode.Forbidden, `${cmdlet} on ${on} was denied: "${message}"${id}`);
  }
  return new ProviderError(ProviderErrorCode.Unknown, `${cmdlet} failed on ${on}${state ? ` (state ${state})` : ''}: "${message}"${id}`);
}
