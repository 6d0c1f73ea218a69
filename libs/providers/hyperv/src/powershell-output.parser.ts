import { ProviderError, ProviderErrorCode, type PowerState } from '@hybridforms/core';

/**
 * Reads what our PowerShell scripts print: `ConvertTo-Json` of flat projections, in Windows
 * PowerShell 5.1 or PowerShell 7 serialisation (see shared/reference/hyperv.md §1), and the
 * CLIXML PowerShell writes to stderr when no terminal is attached.
 */

/** One projected record: a JSON object with PowerShell's property names. */
export type PowerShellRecord = Record<string, unknown>;

/**
 * The records a list script printed. Empty output (an empty pipeline prints nothing) is no
 * records, one bare object is one record (ConvertTo-Json unwraps a one-element array), an array
 * is its elements.
 *
 * @param command Which script printed it, for the error message.
 * @throws ProviderError(MalformedResponse) on truncated or invalid JSON, or anything but objects.
 */
export function parsePowerShellJsonList(stdout: string, command: string): PowerShellRecord[] {
  const value = parsePowerShellJson(stdout, command);
  if (value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  items.forEach((item, index) => {
    if (!isRecord(item)) {
      throw malformed(command, `item ${index} is ${describeValue(item)}, not an object`);
    }
  });
  return items as PowerShellRecord[];
}

/**
 * The one record a single-document script printed (e.g. the host), null when it printed
 * nothing. A one-element array is accepted: `-AsArray` or `@(...)` may wrap it.
 *
 * @throws ProviderError(MalformedResponse) on invalid JSON, several records or a non-object.
 */
export function parsePowerShellJsonObject(stdout: string, command: string): PowerShellRecord | null {
  const value = parsePowerShellJson(stdout, command);
  if (value === null) return null;
  const item = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (!isRecord(item)) throw malformed(command, `expected one object, got ${describeValue(item)}`);
  return item;
}

/**
 * The parsed JSON, or null for empty output. A UTF-8 byte order mark and the CRLF/indentation of
 * pretty output are tolerated; 5.1's `\u0027`-style escapes are plain JSON.
 */
export function parsePowerShellJson(stdout: string, command: string): unknown {
  const text = stdout.replace(/^\uFEFF/, '').trim();
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw malformed(command, `invalid JSON (${text.length} characters): ${reason}`);
  }
}

/** A PowerShell 5.1 date after JSON.parse: `/Date(1717236000000)/`, ms since the epoch (UTC). */
const MS_DATE_PATTERN = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/**
 * A date in either serialisation: `/Date(ms)/` (5.1), an ISO-8601 string (7, or our own
 * `.ToString('o')` projections), or 5.1's wrapper of an ETS date (`{ value: "/Date(…)/", … }`).
 * Null when absent or not a date: a bad timestamp must not fail a whole refresh.
 */
export function parsePowerShellDate(value: unknown): Date | null {
  if (isRecord(value) && 'value' in value) return parsePowerShellDate(value.value);
  if (typeof value !== 'string' || value.trim() === '') return null;
  const ms = MS_DATE_PATTERN.exec(value.trim());
  // The offset some serialisers append after the ms is display only: the ms are UTC already.
  const date = ms ? new Date(Number(ms[1])) : new Date(value.trim());
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Microsoft.HyperV.PowerShell.VMState values that are the same in every module version. From
 * 32783 on the numbering differs between versions (newer modules insert Hibernated and
 * ComponentServicing), so a bare integer there says nothing: scripts project the name too.
 */
const VM_STATE_BY_VALUE: Record<number, string> = {
  1: 'Other',
  2: 'Running',
  3: 'Off',
  4: 'Stopping',
  6: 'Saved',
  9: 'Paused',
  10: 'Starting',
  11: 'Reset',
  32773: 'Saving',
  32776: 'Pausing',
  32777: 'Resuming',
  32779: 'FastSaved',
  32780: 'FastSaving',
  32781: 'ForceShutdown',
  32782: 'ForceReboot',
};

/** VMState names (any module version) in our power state vocabulary; 'Critical' variants alike. */
const POWER_STATE_BY_VM_STATE: Record<string, PowerState> = {
  running: 'running',
  off: 'stopped',
  stopping: 'stopping',
  saving: 'stopping',
  pausing: 'stopping',
  fastsaving: 'stopping',
  forceshutdown: 'stopping',
  starting: 'starting',
  resuming: 'starting',
  // A reset restarts the guest: it is on its way back up.
  reset: 'starting',
  forcereboot: 'starting',
  saved: 'suspended',
  fastsaved: 'suspended',
  paused: 'suspended',
  hibernated: 'suspended',
  other: 'unknown',
  componentservicing: 'unknown',
};

/**
 * Our power state for a VM's `State`: a name (PS 7 `-EnumsAsStrings`, or our `[string]$_.State`
 * projection) or an integer (5.1). The name wins when both are given.
 *
 * @param state `State` as printed.
 * @param stateValue `StateValue` (`[int]$_.State`) when the projection has it.
 */
export function powerStateFromVmState(state: unknown, stateValue?: unknown): PowerState {
  const name = vmStateName(state) ?? vmStateName(stateValue);
  if (!name) return 'unknown';
  const key = name.toLowerCase().replace(/critical$/, '');
  return POWER_STATE_BY_VM_STATE[key] ?? 'unknown';
}

function vmStateName(value: unknown): string | null {
  if (typeof value === 'number') return Number.isInteger(value) ? (VM_STATE_BY_VALUE[value] ?? null) : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  return /^\d+$/.test(text) ? (VM_STATE_BY_VALUE[Number(text)] ?? null) : text;
}

const CLIXML_MARKER = '#< CLIXML';

/**
 * The error text of what a script wrote to stderr, null when there is none. CLIXML (PowerShell
 * serialising its streams with no terminal) yields the text of its `<S S="Error">` records, with
 * `_xHHHH_` and XML escapes decoded; progress-only CLIXML is no error. Plain stderr is its text.
 */
export function readPowerShellStderr(stderr: string): string | null {
  const text = stderr.replace(/^\uFEFF/, '').trim();
  if (text === '') return null;
  if (!text.startsWith(CLIXML_MARKER)) return text;
  const errors = [...text.matchAll(/<S S="Error">([\s\S]*?)<\/S>/g)].map((match) => decodeClixmlString(match[1]));
  const joined = errors.join('').replace(/\s+$/, '');
  return joined === '' ? null : joined;
}

/** Decodes a CLIXML string: XML entities, then PowerShell's `_xHHHH_` escapes (CR, LF, …). */
export function decodeClixmlString(value: string): string {
  return value
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * The error for a script that failed (non-zero exit, or error text on stderr), naming the
 * script and carrying PowerShell's own message. The caller maps known messages (access denied,
 * VM not found) to more specific codes.
 */
export function powerShellFailure(command: string, result: { stderr: string; code: number | null }): ProviderError {
  const text = readPowerShellStderr(result.stderr) ?? 'no error text';
  const exit = result.code === null ? 'no exit code' : `exit code ${result.code}`;
  return new ProviderError(ProviderErrorCode.Unknown, `PowerShell command "${command}" failed (${exit}): ${text}`);
}

function malformed(command: string, detail: string): ProviderError {
  return new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed ${detail}`);
}

function isRecord(value: unknown): value is PowerShellRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
