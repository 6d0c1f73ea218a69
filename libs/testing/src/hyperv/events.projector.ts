import { clixmlErrorRecord } from './clixml.stream.js';
import { LEVEL_DISPLAY_NAMES, type HyperVEventJournal } from './hyperv-event-log.js';
import type { EventRecordJson, EventsLogJson, HyperVEventRecord, HyperVEventsJson } from './hyperv-host-simulator.types.js';
import {
  catchesNoMatchingEvents,
  HYPERV_EVENT_LOGS,
  NO_MATCHING_EVENTS_MESSAGE,
  writesPlainErrors,
  type HyperVEventLogName,
} from './powershell-script.contract.js';
import type { PowerShellJsonSerializer } from './powershell-json.serializer.js';

/** One log the script asks for: its bookmark (B) and the XPath filter it passes (X). */
export interface EventsQuery {
  log: HyperVEventLogName;
  bookmark: number | null;
  /** The `EventRecordID>N` of the script's XPath; null when it passes none. */
  after: number | null;
}

export interface EventsRequest {
  queries: EventsQuery[];
  lookbackMinutes: number;
  oldestFirst: boolean;
  catchesNoMatch: boolean;
  plainErrors: boolean;
}

/** What the host prints for a command: stdout, or the error output of an unhandled error. */
export type ScriptAnswer = { stdout: string } | { stderr: string; code: number };

const QUERY_LINE = /@\{\s*N\s*=\s*'([^']+)'\s*;\s*B\s*=\s*(\d+|\$null)\s*;\s*X\s*=\s*('([^']*)'|\$null)\s*\}/gi;
const XPATH_AFTER = /^\*\[System\[EventRecordID>(\d+)\]\]$/i;

/**
 * Reads the arguments of an events script (see EVENTS_SCRIPT_MARKER). Throws with the message
 * PowerShell would give when the script asks something Get-WinEvent would refuse.
 */
export function parseEventsRequest(script: string): EventsRequest {
  const queries: EventsQuery[] = [];
  for (const match of script.matchAll(QUERY_LINE)) {
    const bookmark = match[2] === '$null' ? null : Number(match[2]);
    let after: number | null = null;
    if (match[4] !== undefined) {
      const xpath = XPATH_AFTER.exec(match[4]);
      if (!xpath) throw new Error(`The specified query is invalid: ${match[4]}`);
      after = Number(xpath[1]);
    }
    queries.push({ log: match[1] as HyperVEventLogName, bookmark, after });
  }
  const lookback = /\$m\s*=\s*(\d+)/.exec(script);
  if (!lookback || !/\(Get-Date\)\.AddMinutes\(-\$m\)/i.test(script)) {
    throw new Error('HyperVHostSimulator: the events script sets no look-back ($m = <minutes>, used as (Get-Date).AddMinutes(-$m)).');
  }
  return {
    queries,
    lookbackMinutes: Number(lookback[1]),
    oldestFirst: /-Oldest\b/i.test(script),
    catchesNoMatch: catchesNoMatchingEvents(script),
    plainErrors: writesPlainErrors(script),
  };
}

/** Answers an events script from the journal, the way our contract script behaves on a real host. */
export class EventsProjector {
  constructor(
    private readonly serializer: PowerShellJsonSerializer,
    private readonly now: () => number = Date.now,
  ) {}

  answer(journal: HyperVEventJournal, request: EventsRequest): ScriptAnswer {
    const logs: EventsLogJson[] = [];
    const events: EventRecordJson[] = [];
    for (const query of request.queries) {
      if (!(HYPERV_EVENT_LOGS as readonly string[]).includes(query.log) || journal.state(query.log) === 'missing') {
        // Get-WinEvent -ListLog … -ErrorAction SilentlyContinue prints nothing for an unknown log.
        logs.push({ LogName: query.log, Exists: false, IsEnabled: false, Newest: null, Mode: 'none' });
        continue;
      }
      const records = journal.records(query.log);
      const newest = records.length > 0 ? records[records.length - 1].recordId : null;
      const behind = query.bookmark !== null && (newest === null ? query.bookmark > 0 : newest < query.bookmark);
      const mode = query.bookmark === null || behind ? 'time' : 'bookmark';
      logs.push({ LogName: query.log, Exists: true, IsEnabled: journal.state(query.log) === 'enabled', Newest: newest, Mode: mode });
      let matched: HyperVEventRecord[];
      if (mode === 'bookmark') {
        if (query.after === null) return this.error(request, ['Get-WinEvent : The specified query is invalid.']);
        const after = query.after;
        matched = records.filter((r) => r.recordId > after);
      } else {
        // StartTime = (Get-Date).AddMinutes(-$m), in the host's own clock.
        const start = this.now() - request.lookbackMinutes * 60_000;
        matched = records.filter((r) => r.timeCreatedMs >= start);
      }
      if (matched.length === 0 && !request.catchesNoMatch) {
        return this.error(request, [
          `Get-WinEvent : ${NO_MATCHING_EVENTS_MESSAGE}`,
          '    + CategoryInfo          : ObjectNotFound: (:) [Get-WinEvent], Exception',
          '    + FullyQualifiedErrorId : NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand',
        ]);
      }
      // Without -Oldest Get-WinEvent reads newest first.
      const ordered = request.oldestFirst ? matched : [...matched].reverse();
      events.push(...ordered.map((r) => this.record(r)));
    }
    const s = this.serializer;
    // The contract script builds Logs with `@()` and `+=`, an array whatever its length; Events
    // is a foreach's output: null, one bare record, or an array.
    const document: HyperVEventsJson = { Logs: logs, Events: s.list(events) };
    return { stdout: s.stringify(document) };
  }

  private record(r: HyperVEventRecord): EventRecordJson {
    return {
      RecordId: r.recordId,
      Id: r.id,
      LogName: r.log,
      ProviderName: r.providerName,
      Level: r.level,
      LevelDisplayName: LEVEL_DISPLAY_NAMES[r.level] ?? '',
      TimeCreated: utcRoundTrip(r.timeCreatedMs),
      MachineName: r.machineName,
      UserId: r.userId,
      Message: r.message,
      VmName: r.vmName,
      // "$($_.Properties[1].Value)": a Guid prints lower-case, a missing property as ''.
      VmId: r.vmId ?? '',
    };
  }

  private error(request: EventsRequest, lines: string[]): ScriptAnswer {
    // Our wrapper's catch writes the exception message as one plain line; unwrapped, 5.1 writes CLIXML.
    if (request.plainErrors) return { stderr: `${lines[0].replace(/^Get-WinEvent : /, '')}\r\n`, code: 1 };
    return { stderr: clixmlErrorRecord([...lines, ' ']), code: 1 };
  }
}

/** `[DateTime].ToUniversalTime().ToString('o')`: seven fraction digits and Z. */
export function utcRoundTrip(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 23)}0000Z`;
}
