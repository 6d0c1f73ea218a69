import { EventsProjector, parseEventsRequest, utcRoundTrip } from './events.projector.js';
import { HyperVEventJournal, HYPERV_EVENT_TEMPLATES, LOCAL_SYSTEM_SID, virtualMachineSid } from './hyperv-event-log.js';
import { HyperVFaultInjector } from './hyperv-fault.injector.js';
import type { HyperVEventsJson } from './hyperv-host-simulator.types.js';
import { PowerShellJsonSerializer } from './powershell-json.serializer.js';

const VMMS = 'Microsoft-Windows-Hyper-V-VMMS-Admin';
const WORKER = 'Microsoft-Windows-Hyper-V-Worker-Admin';
const VM = { name: 'rhel9-web01', vmId: 'd8eb8812-63fe-468a-9545-1e2028ec1f5f' };

describe('HyperVEventJournal', () => {
  const now = Date.parse('2024-06-01T10:00:00Z');
  const journal = () => new HyperVEventJournal('HV01', () => now);

  it('writes the §6 templates with the GUID upper-case, in the template\'s log and level', () => {
    const j = journal();
    expect(j.appendFor(18500, VM)).toBe(2001);
    expect(j.appendFor(13002, VM)).toBe(101);
    expect(j.appendFor(15130, VM)).toBe(102);
    expect(j.records(WORKER)).toEqual([
      {
        recordId: 2001,
        id: 18500,
        log: WORKER,
        providerName: 'Microsoft-Windows-Hyper-V-Worker',
        level: 4,
        message: "'rhel9-web01' started successfully. (Virtual machine ID D8EB8812-63FE-468A-9545-1E2028EC1F5F)",
        vmName: 'rhel9-web01',
        vmId: VM.vmId,
        userId: virtualMachineSid(VM.vmId),
        machineName: 'HV01',
        timeCreatedMs: now,
      },
    ]);
    expect(j.records(VMMS).map((r) => [r.id, r.level, r.userId])).toEqual([
      [13002, 4, LOCAL_SYSTEM_SID],
      [15130, 2, LOCAL_SYSTEM_SID],
    ]);
    expect(HYPERV_EVENT_TEMPLATES[18502].message('x', 'ID')).toBe('x was turned off. (Virtual machine ID ID)');
  });

  it('derives the virtual account SID from the GUID in .NET byte order', () => {
    // GUID 00112233-4455-6677-8899-aabbccddeeff: bytes 33 22 11 00 55 44 77 66 88 99 aa bb cc dd ee ff.
    expect(virtualMachineSid('00112233-4455-6677-8899-aabbccddeeff')).toBe(
      `S-1-5-83-1-${0x00112233}-${0x66774455}-${0xbbaa9988}-${0xffeeddcc}`,
    );
  });

  it('restarts RecordIds on a clear and writes nothing to a disabled or missing log', () => {
    const j = journal();
    j.appendFor(18500, VM);
    j.clear(WORKER);
    expect(j.records(WORKER)).toEqual([]);
    expect(j.appendFor(18502, VM)).toBe(1);
    j.setState(WORKER, 'disabled');
    expect(j.appendFor(18500, VM)).toBeNull();
    expect(j.records(WORKER)).toHaveLength(1);
    j.setState(WORKER, 'missing');
    expect(j.records(WORKER)).toEqual([]);
  });
});

describe('EventsProjector', () => {
  const now = Date.parse('2024-06-01T10:00:00Z');
  const script = (rows: string[], extra = '') =>
    ['# hybridforms:events', '$m = 30', '$q = @(', ...rows, ')', `Get-WinEvent -FilterHashtable @{ StartTime = (Get-Date).AddMinutes(-$m) } -Oldest ${extra}`].join('\n');
  const row = (log: string, b: number | null) => `  @{ N = '${log}'; B = ${b ?? '$null'}; X = ${b === null ? '$null' : `'*[System[EventRecordID>${b}]]'`} }`;

  function setup() {
    const j = new HyperVEventJournal('HV01', () => now);
    j.appendFor(18500, VM, new Date(now - 45 * 60_000));
    j.appendFor(18502, VM, new Date(now - 10 * 60_000));
    j.appendFor(18500, VM, new Date(now - 5 * 60_000));
    return { j, projector: new EventsProjector(new PowerShellJsonSerializer('5.1'), () => now) };
  }

  it('reads by time without a bookmark, after the bookmark with one', () => {
    const { j, projector } = setup();
    const byTime = projector.answer(j, parseEventsRequest(script([row(WORKER, null)], "catch { 'NoMatchingEventsFound' }")));
    const doc = JSON.parse((byTime as { stdout: string }).stdout) as HyperVEventsJson;
    expect(doc.Logs).toEqual([{ LogName: WORKER, Exists: true, IsEnabled: true, Newest: 2003, Mode: 'time' }]);
    expect((doc.Events as { RecordId: number }[]).map((e) => e.RecordId)).toEqual([2002, 2003]);
    const after = projector.answer(j, parseEventsRequest(script([row(WORKER, 2002)], "catch { 'NoMatchingEventsFound' }")));
    const one = JSON.parse((after as { stdout: string }).stdout) as HyperVEventsJson;
    expect(one.Events).toMatchObject({ RecordId: 2003, TimeCreated: utcRoundTrip(now - 5 * 60_000) });
    expect(utcRoundTrip(now)).toBe('2024-06-01T10:00:00.0000000Z');
  });

  it('raises NoMatchingEventsFound as a CLIXML error record when the script does not catch it', () => {
    const { j, projector } = setup();
    const answer = projector.answer(j, parseEventsRequest(script([row(WORKER, 2003)])));
    expect(answer).toMatchObject({ code: 1, stderr: expect.stringContaining('No events were found that match the specified selection criteria.') });
  });

  it('refuses a script without a look-back, and an XPath Get-WinEvent would not take', () => {
    expect(() => parseEventsRequest('# hybridforms:events\n$q = @()')).toThrow(/look-back/);
    expect(() => parseEventsRequest(script([`  @{ N = '${WORKER}'; B = 1; X = '*[System[EventID=1]]' }`]))).toThrow(/query is invalid/);
  });
});

describe('HyperVFaultInjector', () => {
  it('aims a command fault at one script marker', () => {
    const faults = new HyperVFaultInjector();
    faults.inject({ kind: 'hang', marker: 'metrics' });
    faults.inject({ kind: 'disconnect' });
    expect(faults.take('command', 'events')).toBe('disconnect');
    expect(faults.take('command', 'events')).toBeUndefined();
    expect(faults.take('command', 'metrics')).toBe('hang');
    expect(() => faults.inject({ kind: 'auth', marker: 'events' })).toThrow(/logins/);
  });
});
