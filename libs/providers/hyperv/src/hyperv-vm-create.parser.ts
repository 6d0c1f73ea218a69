import { ProviderError, ProviderErrorCode } from '@hybridforms/core';
import { actionFailure, parseActionErrorRecord, type ActionFailureContext } from './hyperv-action.parser.js';
import { parsePowerShellJsonObject, type PowerShellRecord } from './powershell-output.parser.js';

/** Our VM as a create script saw it after its step. */
export interface CreatedVm {
  vmId: string;
  vmName: string;
  state: string;
  processorCount: number | null;
  memoryStartup: number | null;
  notes: string;
}

/** What a vm-create script printed. */
export interface VmCreateResult {
  step: string;
  /** false: what the step makes or sets was there already. */
  acted: boolean;
  /** VMs of the name whose Notes do not carry our task's tag. */
  others: number;
  /** The VHD path the step worked on (the folder resolved on the host). */
  path: string | null;
  vm: CreatedVm | null;
  /** `vhd`: the file as Get-VHD reads it, whether it was there before, and the VMs holding it. */
  vhd: { path: string; vhdType: string; parentPath: string | null; existed: boolean; attachedTo: string[] } | null;
  /** `network`: the switch of the VM's first adapter after the step. */
  switchName: string | null;
  /** `guest`: the KVP intrinsic items (null until the guest's KVP daemon reports) and the adapters' addresses. */
  kvp: Record<string, string> | null;
  ipAddresses: string[];
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
}

export function parseVmCreateResult(stdout: string, command: string): VmCreateResult {
  const json = parsePowerShellJsonObject(stdout, command);
  if (!json || typeof json.Acted !== 'boolean' || !text(json.Step)) throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed no Step and Acted`);
  const vmJson = typeof json.VM === 'object' && json.VM !== null ? (json.VM as PowerShellRecord) : null;
  const vmId = vmJson ? text(vmJson.VMId) : null;
  if (vmJson && !vmId) throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed a VM without VMId`);
  const vhdJson = typeof json.Vhd === 'object' && json.Vhd !== null ? (json.Vhd as PowerShellRecord) : null;
  const kvpJson = typeof json.Kvp === 'object' && json.Kvp !== null ? (json.Kvp as PowerShellRecord) : null;
  return {
    step: json.Step as string,
    acted: json.Acted,
    others: typeof json.Others === 'number' ? json.Others : 0,
    path: text(json.Path),
    vm:
      vmJson && vmId
        ? {
            vmId: vmId.toLowerCase(),
            vmName: text(vmJson.VMName) ?? vmId,
            state: text(vmJson.State) ?? 'Unknown',
            processorCount: typeof vmJson.ProcessorCount === 'number' ? vmJson.ProcessorCount : null,
            memoryStartup: typeof vmJson.MemoryStartup === 'number' ? vmJson.MemoryStartup : null,
            notes: text(vmJson.Notes) ?? '',
          }
        : null,
    vhd:
      vhdJson && text(vhdJson.Path)
        ? {
            path: vhdJson.Path as string,
            vhdType: text(vhdJson.VhdType) ?? 'Unknown',
            parentPath: text(vhdJson.ParentPath),
            existed: vhdJson.Existed === true,
            attachedTo: list(vhdJson.AttachedTo).filter((n): n is string => typeof n === 'string'),
          }
        : null,
    switchName: text(json.SwitchName),
    kvp: kvpJson ? Object.fromEntries(Object.entries(kvpJson).filter((e): e is [string, string] => typeof e[1] === 'string')) : null,
    ipAddresses: list(json.IPAddresses).filter((a): a is string => typeof a === 'string' && a !== ''),
  };
}

/**
 * The ProviderError of a failed create step. Start-VM's OutOfMemory (the host cannot give the VM
 * its startup memory: "Not enough memory in the system to start the virtual machine …") is a
 * Conflict with the host's state, not retried; the rest as {@link actionFailure} maps them
 * (ObjectNotFound: an unknown switch, InvalidState: a running VM's processors).
 */
export function createFailure(result: { stderr: string; code: number | null }, context: ActionFailureContext): ProviderError {
  const record = parseActionErrorRecord(result.stderr);
  if (record && /^OutOfMemory,/i.test(record.errorId)) {
    const reason = record.message.split(/\r?\n/).find((line) => /^Not enough memory/i.test(line)) ?? record.message;
    return new ProviderError(
      ProviderErrorCode.Conflict,
      `${record.cmdlet} could not start ${context.subject} on Hyper-V host ${context.where}: the host has not enough free memory ("${reason}") [${record.errorId}]`,
    );
  }
  // Another run of the VM's steps (a killed worker's script the host still runs) holds the name's mutex: asking later helps.
  if (record && /^LockTimeout\b/.test(record.errorId)) {
    return new ProviderError(ProviderErrorCode.Timeout, `${context.subject} on Hyper-V host ${context.where}: ${record.message}`, true);
  }
  if (record && /^(New-VHD|Copy-Item)$/i.test(record.cmdlet) && /cannot find|does not exist|0x80070002|0x80070003/i.test(record.message)) {
    return new ProviderError(ProviderErrorCode.NotFound, `${record.cmdlet} could not make ${context.subject} on Hyper-V host ${context.where}: "${record.message.replace(/\r?\n/g, ' ')}" [${record.errorId}]`);
  }
  return actionFailure(result, context);
}
