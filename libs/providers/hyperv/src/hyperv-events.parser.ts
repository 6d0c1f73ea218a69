import { ProviderError, ProviderErrorCode, type ProviderEvent, type ProviderEventType } from '@hybridforms/core';
import { parsePowerShellDate, parsePowerShellJson, type PowerShellRecord } from './powershell-output.parser.js';
import type { HyperVLogBookmarks } from './hyperv-events.script.js';

/**
 * Reads what the events script (hyperv-events.script.ts) printed and normalizes its records into
 * our event vocabulary (shared/reference/hyperv.md §6). Pure: fixtures in, events out.
 */

/** How one log was read, as the script reports it. */
export interface HyperVLogStatus {
  logName: string;
  exists: boolean;
  isEnabled: boolean;
  /** RecordId of the log's newest record; null when empty or missing. */
  newest: number | null;
  /** 'bookmark' (records after our bookmark), 'time' (the look-back window), 'none' (missing log). */
  mode: 'bookmark' | 'time' | 'none';
}

export interface HyperVEventsDocument {
  logs: HyperVLogStatus[];
  /** The projected records, as printed. */
  records: PowerShellRecord[];
}

/** Event ids we know, in our vocabulary; every other id is `other`. */
export const HYPERV_EVENT_TYPES: Readonly<Record<number, ProviderEventType>> = {
  13002: 'vm.created',
  13003: 'vm.deleted',
  18500: 'vm.started',
  18502: 'vm.stopped',
  18504: 'vm.stopped',
  18508: 'vm.stopped',
  18512: 'vm.restarted',
  18514: 'vm.restarted',
  // 15130 "failed to start" stays `other` (at level Error): the VM did not change.
};

/** Level names when the record has no LevelDisplayName (it is localized and can be missing). */
const LEVEL_NAMES: Readonly<Record<number, string>> = { 0: 'Information', 1: 'Critical', 2: 'Error', 3: 'Warning', 4: 'Information', 5: 'Verbose' };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MESSAGE_VM_ID = /Virtual machine ID ([0-9A-Fa-f-]{36})/;

/**
 * Parses the events document.
 *
 * @throws ProviderError(MalformedResponse) on invalid or truncated JSON, or a document that is not
 *   `{ Logs, Events }`.
 */
export function parseHyperVEventsDocument(stdout: string, command: string): HyperVEventsDocument {
  const document = parsePowerShellJson(stdout, command);
  if (!isRecord(document) || !('Logs' in document)) throw malformed(command, `printed ${document === null ? 'nothing' : 'no { Logs, Events } document'}`);
  const logs = psList(document.Logs, command, 'Logs').map((log): HyperVLogStatus => {
    const mode = log.Mode === 'bookmark' || log.Mode === 'time' ? log.Mode : 'none';
    return {
      logName: typeof log.LogName === 'string' ? log.LogName : '',
      exists: log.Exists === true,
      isEnabled: log.IsEnabled === true,
      newest: nonNegativeInteger(log.Newest),
      mode,
    };
  });
  return { logs, records: psList(document.Events, command, 'Events') };
}

/**
 * One record in our vocabulary.
 *
 * @param hostNativeId The host's native id: RecordIds are per host and per log, so the event's
 *   native id carries both.
 * @param fallbackTime occurredAt when the record's TimeCreated cannot be read.
 * @throws ProviderError(MalformedResponse) for a record without RecordId or LogName (it could not
 *   be keyed).
 */
export function normalizeHyperVEvent(record: PowerShellRecord, hostNativeId: string, command: string, fallbackTime: Date): ProviderEvent {
  const recordId = nonNegativeInteger(record.RecordId);
  const logName = typeof record.LogName === 'string' && record.LogName !== '' ? record.LogName : null;
  if (recordId === null || logName === null) throw malformed(command, 'printed an event record without RecordId or LogName');
  const id = typeof record.Id === 'number' ? record.Id : Number(record.Id);
  const type = HYPERV_EVENT_TYPES[id] ?? 'other';
  const message = typeof record.Message === 'string' && record.Message.trim() !== '' ? record.Message : null;
  const vmNativeId = eventVmNativeId(record.VmId, message);
  const vmName = vmNativeId !== null && typeof record.VmName === 'string' && record.VmName !== '' ? record.VmName : null;
  const time = parsePowerShellDate(record.TimeCreated);
  return {
    nativeId: hyperVEventNativeId(hostNativeId, logName, recordId, time),
    occurredAt: time ?? fallbackTime,
    type,
    vmNativeId,
    vmName,
    status: levelName(record.LevelDisplayName, record.Level),
    actor: typeof record.UserId === 'string' && record.UserId !== '' ? record.UserId : null,
    message: message === null ? null : message.replace(/\s+/g, ' ').trim(),
    refreshesVm: type !== 'other' && vmNativeId !== null,
    raw: record,
  };
}

/**
 * `<host native id>/<LogName>:<RecordId>@<TimeCreated>`. The host keeps RecordIds of different
 * hosts apart, the time those of one log before and after a clear (RecordIds restart at 1 and
 * the store would drop the new records as already held). Stable: all three are fixed per record.
 */
export function hyperVEventNativeId(hostNativeId: string, logName: string, recordId: number, timeCreated: Date | null): string {
  return `${hostNativeId}/${logName}:${recordId}${timeCreated ? `@${timeCreated.toISOString()}` : ''}`;
}

/**
 * The VM an event names, as a VM nativeId (the lower-case GUID, as the inventory parser keys VMs):
 * the EventData VmId when it is a GUID, else the GUID in the message (upper-case there).
 */
export function eventVmNativeId(vmId: unknown, message: string | null): string | null {
  if (typeof vmId === 'string' && GUID.test(vmId.trim())) return vmId.trim().toLowerCase();
  const match = message ? MESSAGE_VM_ID.exec(message) : null;
  return match && GUID.test(match[1]) ? match[1].toLowerCase() : null;
}

/**
 * The bookmarks after a read: per log, the highest RecordId returned; a log read by time that
 * returned nothing starts at its newest record (so a cleared log resumes at 0); a log not read
 * (missing) keeps its old bookmark. Never ahead of a record the host did not return to us.
 */
export function nextBookmarks(previous: HyperVLogBookmarks, document: HyperVEventsDocument): HyperVLogBookmarks {
  const next: HyperVLogBookmarks = { ...previous };
  for (const log of document.logs) {
    if (log.mode === 'none' || log.logName === '') continue;
    const ids = document.records.filter((r) => r.LogName === log.logName).map((r) => nonNegativeInteger(r.RecordId) ?? 0);
    const highest = ids.length > 0 ? Math.max(...ids) : null;
    if (log.mode === 'bookmark') next[log.logName] = Math.max(previous[log.logName] ?? 0, highest ?? 0);
    else next[log.logName] = highest ?? log.newest ?? 0;
  }
  return next;
}

function levelName(display: unknown, level: unknown): string | null {
  if (typeof display === 'string' && display.trim() !== '') return display.trim();
  const value = typeof level === 'number' ? level : Number(level);
  return LEVEL_NAMES[value] ?? null;
}

function psList(value: unknown, command: string, key: string): PowerShellRecord[] {
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  items.forEach((item, index) => {
    if (!isRecord(item)) throw malformed(command, `printed ${key}[${index}] that is not an object`);
  });
  return items as PowerShellRecord[];
}

function nonNegativeInteger(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function isRecord(value: unknown): value is PowerShellRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(command: string, detail: string): ProviderError {
  return new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" ${detail}`);
}
