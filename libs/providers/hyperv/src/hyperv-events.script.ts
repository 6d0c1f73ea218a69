/**
 * The PowerShell script that reads a Hyper-V host's admin event channels in one round trip
 * (shared/reference/hyperv.md §6), for `collectEvents`:
 * - Per log, a bookmark B (the last RecordId we hold; RecordIds are monotonic per log) reads
 *   `Get-WinEvent -LogName <log> -FilterXPath "*[System[EventRecordID>B]]" -Oldest`, so records
 *   come in RecordId order.
 * - Without a bookmark (first poll of the host, or a log never read), or when the log's newest
 *   record is behind B (the log was cleared and RecordIds restarted), it reads by time with
 *   `-FilterHashtable @{ StartTime = (Get-Date).AddMinutes(-$m) }`: Get-Date on the host, because
 *   StartTime is host-local time and our clock and zone are not the host's.
 * - Get-WinEvent raises NoMatchingEventsFound when nothing matches (a terminating error under
 *   $ErrorActionPreference = 'Stop'): caught by that FullyQualifiedErrorId and read as no records;
 *   every other error still fails the script.
 * - A missing log (`-ListLog` finds nothing) is reported, not fatal; so is a disabled one (its old
 *   records stay readable, but the host writes no new ones).
 * - Records are projected (never serialised raw: Properties would be depth-truncated, dates
 *   `/Date()/`): TimeCreated as UTC round-trip text, VmName/VmId from EventData (Properties 0/1),
 *   UserId as its SID string.
 * The output is one document `{ Logs, Events }` (HyperVEventsJson in libs/testing documents it).
 */

/** First line of the script: the marker the host simulator recognises. */
export const EVENTS_SCRIPT_FIRST_LINE = '# hybridforms:events';

/** What the events command is called in logs and error messages. */
export const EVENTS_COMMAND_NAME = 'events script';

/** The channels read, in this order. */
export const HYPERV_EVENT_LOG_NAMES = ['Microsoft-Windows-Hyper-V-VMMS-Admin', 'Microsoft-Windows-Hyper-V-Worker-Admin'] as const;
export type HyperVEventLogName = (typeof HYPERV_EVENT_LOG_NAMES)[number];

/** Last RecordId read per log; a log without one is read by time. */
export type HyperVLogBookmarks = Partial<Record<string, number>>;

/**
 * The events script for one host.
 *
 * @param bookmarks Last RecordId per log name (non-negative integers); absent = read by time.
 * @param lookbackMinutes How far back a read by time goes (an integer).
 */
export function buildEventsScript(bookmarks: HyperVLogBookmarks, lookbackMinutes: number): string {
  if (!(Number.isInteger(lookbackMinutes) && lookbackMinutes > 0)) throw new Error('lookbackMinutes must be a positive integer');
  const rows = HYPERV_EVENT_LOG_NAMES.map((log) => {
    const b = bookmarks[log];
    if (b === undefined) return `  @{ N = '${log}'; B = $null; X = $null }`;
    if (!(Number.isSafeInteger(b) && b >= 0)) throw new Error(`bookmark of ${log} must be a non-negative integer`);
    return `  @{ N = '${log}'; B = ${b}; X = '*[System[EventRecordID>${b}]]' }`;
  });
  return [
    EVENTS_SCRIPT_FIRST_LINE,
    `$m = ${lookbackMinutes}`,
    '$q = @(',
    ...rows,
    ')',
    '$logs = @()',
    '$events = foreach ($g in $q) {',
    '  $l = Get-WinEvent -ListLog $g.N -ErrorAction SilentlyContinue',
    '  if (-not $l) {',
    "    $logs += [pscustomobject]@{ LogName = $g.N; Exists = $false; IsEnabled = $false; Newest = $null; Mode = 'none' }",
    '    continue',
    '  }',
    '  $n = (Get-WinEvent -LogName $g.N -MaxEvents 1 -ErrorAction SilentlyContinue).RecordId',
    "  $mode = 'bookmark'",
    "  if ($null -eq $g.B) { $mode = 'time' } elseif ($null -eq $n) { if ($g.B -gt 0) { $mode = 'time' } } elseif ($n -lt $g.B) { $mode = 'time' }",
    '  $logs += [pscustomobject]@{ LogName = $g.N; Exists = $true; IsEnabled = $l.IsEnabled; Newest = $n; Mode = $mode }',
    '  try {',
    "    if ($mode -eq 'bookmark') { $r = Get-WinEvent -LogName $g.N -FilterXPath $g.X -Oldest }",
    '    else { $r = Get-WinEvent -FilterHashtable @{ LogName = $g.N; StartTime = (Get-Date).AddMinutes(-$m) } -Oldest }',
    '  } catch {',
    "    if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw }",
    '    $r = @()',
    '  }',
    '  foreach ($e in $r) {',
    '    [pscustomobject]@{',
    '      RecordId = $e.RecordId',
    '      Id = $e.Id',
    '      LogName = $e.LogName',
    '      ProviderName = $e.ProviderName',
    '      Level = $e.Level',
    '      LevelDisplayName = $e.LevelDisplayName',
    "      TimeCreated = $e.TimeCreated.ToUniversalTime().ToString('o')",
    '      MachineName = $e.MachineName',
    '      UserId = if ($e.UserId) { $e.UserId.Value } else { $null }',
    '      Message = $e.Message',
    '      VmName = $e.Properties[0].Value',
    '      VmId = "$($e.Properties[1].Value)"',
    '    }',
    '  }',
    '}',
    'ConvertTo-Json -InputObject ([pscustomobject]@{ Logs = $logs; Events = $events }) -Depth 4 -Compress',
    '',
  ].join('\n');
}
