import type { HyperVEventLevel, HyperVEventLogState, HyperVEventRecord, HyperVEventSpec } from './hyperv-host-simulator.types.js';
import { HYPERV_EVENT_LOGS, type HyperVEventLogName } from './powershell-script.contract.js';

/**
 * The two Hyper-V admin channels of a host (shared/reference/hyperv.md §6): each with its own
 * monotonic RecordId, the event ids and message templates a real host writes, and the states an
 * operator can put a log in (cleared, disabled, missing).
 */

export const VMMS_ADMIN_LOG: HyperVEventLogName = 'Microsoft-Windows-Hyper-V-VMMS-Admin';
export const WORKER_ADMIN_LOG: HyperVEventLogName = 'Microsoft-Windows-Hyper-V-Worker-Admin';

/** The provider that writes each channel. */
export const EVENT_LOG_PROVIDERS: Readonly<Record<HyperVEventLogName, string>> = {
  'Microsoft-Windows-Hyper-V-VMMS-Admin': 'Microsoft-Windows-Hyper-V-VMMS',
  'Microsoft-Windows-Hyper-V-Worker-Admin': 'Microsoft-Windows-Hyper-V-Worker',
};

/** LevelDisplayName (en-US; localized on real hosts). */
export const LEVEL_DISPLAY_NAMES: Readonly<Record<number, string>> = { 0: 'Information', 1: 'Critical', 2: 'Error', 3: 'Warning', 4: 'Information', 5: 'Verbose' };

interface EventTemplate {
  log: HyperVEventLogName;
  level: HyperVEventLevel;
  message: (vmName: string, vmIdUpper: string) => string;
}

/** The message templates of §6; the VM GUID is upper-case in messages. */
export const HYPERV_EVENT_TEMPLATES: Readonly<Record<number, EventTemplate>> = {
  13002: { log: VMMS_ADMIN_LOG, level: 4, message: (n, id) => `A new virtual machine ${n} was created. (Virtual machine ID ${id})` },
  13003: { log: VMMS_ADMIN_LOG, level: 4, message: (n, id) => `A virtual machine '${n}' was deleted. (Virtual machine ID ${id})` },
  18303: { log: VMMS_ADMIN_LOG, level: 4, message: (n, id) => `'${n}' was successfully exported. (Virtual machine ID ${id})` },
  15130: { log: VMMS_ADMIN_LOG, level: 2, message: (n, id) => `'${n}' failed to start. (Virtual machine ID ${id})` },
  18500: { log: WORKER_ADMIN_LOG, level: 4, message: (n, id) => `'${n}' started successfully. (Virtual machine ID ${id})` },
  18502: { log: WORKER_ADMIN_LOG, level: 4, message: (n, id) => `${n} was turned off. (Virtual machine ID ${id})` },
  18504: {
    log: WORKER_ADMIN_LOG,
    level: 4,
    message: (n, id) => `'${n}' was shut down using the Shutdown Integration Component. (Virtual machine ID ${id})`,
  },
  18508: { log: WORKER_ADMIN_LOG, level: 4, message: (n, id) => `'${n}' was shut down by the guest operating system. (Virtual machine ID ${id})` },
  18512: { log: WORKER_ADMIN_LOG, level: 4, message: (n, id) => `'${n}' was reset using Hyper-V Manager. (Virtual machine ID ${id})` },
  18514: { log: WORKER_ADMIN_LOG, level: 4, message: (n, id) => `'${n}' was reset by the guest operating system. (Virtual machine ID ${id})` },
};

/** The SID VMMS runs as (LocalSystem); unverified which account real VMMS-Admin records carry. */
export const LOCAL_SYSTEM_SID = 'S-1-5-18';

/**
 * The SID of a VM's virtual account `NT VIRTUAL MACHINE\<VMId>`: S-1-5-83-1 then the GUID's 16
 * bytes as four little-endian 32-bit integers. Worker processes run as it (unverified that the
 * Worker-Admin records carry it rather than LocalSystem).
 */
export function virtualMachineSid(vmId: string): string {
  const hex = vmId.replace(/-/g, '');
  const bytes = Buffer.from(
    // .NET Guid byte order: the first three groups little-endian.
    hex.slice(6, 8) + hex.slice(4, 6) + hex.slice(2, 4) + hex.slice(0, 2) + hex.slice(10, 12) + hex.slice(8, 10) + hex.slice(14, 16) + hex.slice(12, 14) + hex.slice(16),
    'hex',
  );
  return `S-1-5-83-1-${[0, 4, 8, 12].map((o) => bytes.readUInt32LE(o)).join('-')}`;
}

class EventLog {
  records: HyperVEventRecord[] = [];
  nextRecordId: number;
  state: HyperVEventLogState = 'enabled';

  constructor(firstRecordId: number) {
    this.nextRecordId = firstRecordId;
  }
}

/** Both channels of one host. */
export class HyperVEventJournal {
  private readonly logs = new Map<HyperVEventLogName, EventLog>();

  constructor(
    private readonly machineName: string,
    private readonly now: () => number = Date.now,
    /** First RecordId of each log: different bases make a mix-up of the two bookmarks visible. */
    firstRecordIds: Readonly<Record<HyperVEventLogName, number>> = { [VMMS_ADMIN_LOG]: 101, [WORKER_ADMIN_LOG]: 2001 } as Record<HyperVEventLogName, number>,
  ) {
    for (const log of HYPERV_EVENT_LOGS) this.logs.set(log, new EventLog(firstRecordIds[log]));
  }

  /**
   * Appends a record as the host would write it; returns its RecordId, or null when the log is
   * disabled or missing (the host writes nothing then).
   */
  append(spec: HyperVEventSpec): number | null {
    const log = this.log(spec.log);
    if (log.state !== 'enabled') return null;
    const template = HYPERV_EVENT_TEMPLATES[spec.id] as EventTemplate | undefined;
    const vmName = spec.vmName ?? null;
    const vmId = spec.vmId ? spec.vmId.toLowerCase() : null;
    const message = spec.message ?? (template && vmName !== null && vmId !== null ? template.message(vmName, vmId.toUpperCase()) : '');
    const record: HyperVEventRecord = {
      recordId: log.nextRecordId++,
      id: spec.id,
      log: spec.log,
      providerName: spec.providerName ?? EVENT_LOG_PROVIDERS[spec.log],
      level: spec.level ?? template?.level ?? 4,
      message,
      vmName,
      vmId,
      userId: spec.userId !== undefined ? spec.userId : spec.log === WORKER_ADMIN_LOG && vmId ? virtualMachineSid(vmId) : LOCAL_SYSTEM_SID,
      machineName: this.machineName,
      timeCreatedMs: spec.timeCreated?.getTime() ?? this.now(),
    };
    log.records.push(record);
    return record.recordId;
  }

  /** Writes the record of a templated event id for a VM in the template's log. */
  appendFor(id: keyof typeof HYPERV_EVENT_TEMPLATES, vm: { vmId: string; name: string }, timeCreated?: Date): number | null {
    const template = HYPERV_EVENT_TEMPLATES[id];
    return this.append({ log: template.log, id, vmName: vm.name, vmId: vm.vmId, ...(timeCreated ? { timeCreated } : {}) });
  }

  /** `wevtutil cl`: every record goes and RecordIds restart at 1. */
  clear(logName: HyperVEventLogName): void {
    const log = this.log(logName);
    log.records = [];
    log.nextRecordId = 1;
  }

  setState(logName: HyperVEventLogName, state: HyperVEventLogState): void {
    this.log(logName).state = state;
  }

  state(logName: HyperVEventLogName): HyperVEventLogState {
    return this.log(logName).state;
  }

  /** The records of a log in RecordId order (copies); none for a missing log. */
  records(logName: HyperVEventLogName): HyperVEventRecord[] {
    const log = this.log(logName);
    return log.state === 'missing' ? [] : log.records.map((r) => ({ ...r }));
  }

  private log(name: HyperVEventLogName): EventLog {
    const log = this.logs.get(name);
    if (!log) throw new Error(`Unknown event log '${name}'`);
    return log;
  }
}
