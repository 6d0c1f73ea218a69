import { EVENTS_REQUIRED_CMDLETS, EVENTS_SCRIPT_MARKER, HYPERV_EVENT_LOGS, parseEventsRequest } from '@hybridforms/testing';
import { buildEventsScript, EVENTS_COMMAND_NAME, HYPERV_EVENT_LOG_NAMES } from './hyperv-events.script.js';
import { formatHyperVEventsCheckpoint, parseHyperVEventsCheckpoint } from './hyperv-events.checkpoint.js';
import { CMD_EXE_MAX_COMMAND_LENGTH, decodePowerShellCommand, encodePowerShellCommand } from './powershell-command.js';

const VMMS = 'Microsoft-Windows-Hyper-V-VMMS-Admin';
const WORKER = 'Microsoft-Windows-Hyper-V-Worker-Admin';

describe('buildEventsScript', () => {
  const script = buildEventsScript({ [VMMS]: 118, [WORKER]: 9_007_199_254 }, 60);

  it('encodes under the cmd.exe command line limit, with the largest bookmarks', () => {
    const commandLine = encodePowerShellCommand(buildEventsScript({ [VMMS]: Number.MAX_SAFE_INTEGER, [WORKER]: Number.MAX_SAFE_INTEGER }, 10080), EVENTS_COMMAND_NAME);
    expect(commandLine.length).toBeLessThanOrEqual(CMD_EXE_MAX_COMMAND_LENGTH - 1024);
    expect(decodePowerShellCommand(commandLine)).toContain('# hybridforms:events');
  });

  it('carries the marker and calls the cmdlets of the contract', () => {
    expect(script.split('\n')[0]).toBe(EVENTS_SCRIPT_MARKER);
    expect(HYPERV_EVENT_LOG_NAMES).toEqual(HYPERV_EVENT_LOGS);
    for (const cmdlet of EVENTS_REQUIRED_CMDLETS) expect(script).toMatch(new RegExp(`(?<![\\w-])${cmdlet}(?![\\w-])`, 'i'));
  });

  it('reads each log after its bookmark in RecordId order, or by host-local time without one', () => {
    expect(script).toContain(`@{ N = '${VMMS}'; B = 118; X = '*[System[EventRecordID>118]]' }`);
    expect(script).toContain(`@{ N = '${WORKER}'; B = 9007199254; X = '*[System[EventRecordID>9007199254]]' }`);
    expect(script).toContain('Get-WinEvent -LogName $g.N -FilterXPath $g.X -Oldest');
    expect(script).toContain('StartTime = (Get-Date).AddMinutes(-$m)');
    const first = buildEventsScript({ [VMMS]: 0 }, 45);
    expect(first).toContain('$m = 45');
    expect(first).toContain(`@{ N = '${VMMS}'; B = 0; X = '*[System[EventRecordID>0]]' }`);
    expect(first).toContain(`@{ N = '${WORKER}'; B = $null; X = $null }`);
  });

  it('is read by the simulated host as it would be by Get-WinEvent', () => {
    expect(parseEventsRequest(script)).toEqual({
      queries: [
        { log: VMMS, bookmark: 118, after: 118 },
        { log: WORKER, bookmark: 9_007_199_254, after: 9_007_199_254 },
      ],
      lookbackMinutes: 60,
      oldestFirst: true,
      catchesNoMatch: true,
      plainErrors: false,
    });
  });

  it('catches NoMatchingEventsFound by its FullyQualifiedErrorId only, and resyncs a log whose newest record is behind the bookmark', () => {
    expect(script).toMatch(/catch \{\n\s+if \(\$_\.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound\*'\) \{ throw \}\n\s+\$r = @\(\)/);
    expect(script).toContain("elseif ($n -lt $g.B) { $mode = 'time' }");
    expect(script).toContain('Get-WinEvent -ListLog $g.N -ErrorAction SilentlyContinue');
  });

  it('projects the documented record shape', () => {
    for (const key of ['RecordId', 'Id', 'LogName', 'ProviderName', 'Level', 'LevelDisplayName', 'TimeCreated', 'MachineName', 'UserId', 'Message', 'VmName', 'VmId']) {
      expect(script).toMatch(new RegExp(`\\n\\s+${key} = `));
    }
    expect(script).toContain("TimeCreated = $e.TimeCreated.ToUniversalTime().ToString('o')");
    expect(script).toContain('ConvertTo-Json -InputObject ([pscustomobject]@{ Logs = $logs; Events = $events }) -Depth 4 -Compress');
  });

  it('uses no PowerShell 7-only syntax', () => {
    for (const pattern of [/\?\?/, /\?\./, /&&/, /\|\|/, /-Parallel\b/, /\s\?\s.*\s:\s/]) expect(script).not.toMatch(pattern);
  });

  it('refuses bookmarks and look-backs that are not integers', () => {
    expect(() => buildEventsScript({ [VMMS]: -1 }, 60)).toThrow(/non-negative integer/);
    expect(() => buildEventsScript({ [VMMS]: 1.5 }, 60)).toThrow(/non-negative integer/);
    expect(() => buildEventsScript({}, 0)).toThrow(/positive integer/);
  });
});

describe('the events checkpoint', () => {
  it('round-trips the bookmarks per host and log in a stable order', () => {
    const text = formatHyperVEventsCheckpoint({ 'hyperv:hv02': { [WORKER]: 7, [VMMS]: 3 }, 'hyperv:hv01': { [VMMS]: 118 } });
    expect(text).toBe(`{"hyperv:hv01":{"${VMMS}":118},"hyperv:hv02":{"${VMMS}":3,"${WORKER}":7}}`);
    expect(parseHyperVEventsCheckpoint(text)).toEqual({ 'hyperv:hv01': { [VMMS]: 118 }, 'hyperv:hv02': { [VMMS]: 3, [WORKER]: 7 } });
  });

  it('is empty on the first poll and null when it is not ours', () => {
    expect(parseHyperVEventsCheckpoint(null)).toEqual({});
    for (const bad of ['not json', '[]', '{"h":5}', '{"h":{"log":-1}}', '{"h":{"log":"5"}}', '{"h":{"log":1.5}}']) {
      expect(parseHyperVEventsCheckpoint(bad)).toBeNull();
    }
  });
});
