import { NodeSSH } from 'node-ssh';
import { counterMinute, simulatedCounterValue } from './hyperv-counters.js';
import { HyperVHostSimulator } from './hyperv-host-simulator.js';
import type { EventRecordJson, EventsLogJson, HyperVEventsJson, HyperVMetricsJson, PsList } from './hyperv-host-simulator.types.js';

// The events and metrics scripts against the simulator over real SSH (node-ssh), with scripts
// written here by hand, so the simulator is checked against the contract and not our plugin.

const VMMS = 'Microsoft-Windows-Hyper-V-VMMS-Admin';
const WORKER = 'Microsoft-Windows-Hyper-V-Worker-Admin';

function eventsScript(
  bookmarks: Record<string, number | null>,
  options: { lookback?: number; oldest?: boolean; catchNoMatch?: boolean; wrap?: boolean } = {},
): string {
  const rows = Object.entries(bookmarks).map(([log, b]) => `  @{ N = '${log}'; B = ${b ?? '$null'}; X = ${b === null ? '$null' : `'*[System[EventRecordID>${b}]]'`} }`);
  const body = [
    '# hybridforms:events',
    `$m = ${options.lookback ?? 60}`,
    '$q = @(',
    ...rows,
    ')',
    '$ev = foreach ($g in $q) {',
    '  try {',
    `    if ($g.X) { Get-WinEvent -LogName $g.N -FilterXPath $g.X ${options.oldest === false ? '' : '-Oldest'} }`,
    `    else { Get-WinEvent -FilterHashtable @{ LogName = $g.N; StartTime = (Get-Date).AddMinutes(-$m) } ${options.oldest === false ? '' : '-Oldest'} }`,
    options.catchNoMatch === false ? '  } finally { }' : "  } catch { if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw } }",
    '}',
    'ConvertTo-Json -InputObject ([pscustomobject]@{ Logs = $null; Events = $ev }) -Compress',
  ];
  const prologue = "$ProgressPreference='SilentlyContinue'; $ErrorActionPreference='Stop'";
  if (options.wrap === false) return [body[0], prologue, ...body.slice(1)].join('\r\n');
  return [body[0], prologue, 'try {', ...body.slice(1), '} catch { [Console]::Error.WriteLine($_.Exception.Message); exit 1 }'].join('\r\n');
}

const METRICS_SCRIPT = [
  '# hybridforms:metrics',
  "$ProgressPreference='SilentlyContinue'; $ErrorActionPreference='Stop'",
  '$vms = foreach ($vm in Hyper-V\\Get-VM) { [pscustomobject]@{ Id = "$($vm.VMId)"; Disks = @(Hyper-V\\Get-VMHardDiskDrive -VM $vm | ForEach-Object Path) } }',
  "$p = '\\Hyper-V Hypervisor Virtual Processor(*)\\% Guest Run Time', '\\Hyper-V Dynamic Memory VM(*)\\Guest Available Memory', '\\Hyper-V Dynamic Memory VM(*)\\Physical Memory', '\\Hyper-V Virtual Network Adapter(*)\\Bytes Received/sec', '\\Hyper-V Virtual Storage Device(*)\\Write Bytes/sec'",
  '$s = (Get-Counter -Counter $p -ErrorAction SilentlyContinue).CounterSamples',
  'ConvertTo-Json -InputObject ([pscustomobject]@{ Vms = $vms; Samples = $s }) -Compress',
].join('\r\n');

function encoded(script: string): string {
  return `powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ${Buffer.from(script, 'utf16le').toString('base64')}`;
}

function asArray<T>(list: PsList<T>): T[] {
  if (list === null) return [];
  return Array.isArray(list) ? list : [list];
}

describe.each([['5.1' as const], ['7' as const]])('HyperVHostSimulator events and counters (PowerShell %s)', (powershell) => {
  let sim: HyperVHostSimulator;
  let ssh: NodeSSH;

  beforeAll(async () => {
    sim = await HyperVHostSimulator.start({ vmCount: 10, seed: 3, powershell, hostName: 'HV07' });
    ssh = new NodeSSH();
    await ssh.connect({ host: sim.host, port: sim.port, username: sim.username, password: sim.password, hostVerifier: () => true });
  });
  afterAll(async () => {
    ssh.dispose();
    await sim.stop();
  });
  afterEach(() => sim.clearFaults());

  async function run(script: string) {
    return ssh.execCommand(encoded(script), { noTrim: true });
  }
  async function events(script: string): Promise<{ raw: string; logs: EventsLogJson[]; events: EventRecordJson[] }> {
    const result = await run(script);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as HyperVEventsJson;
    return { raw: result.stdout, logs: asArray(doc.Logs), events: asArray(doc.Events) };
  }

  it('holds a small history: the first read by time finds the last hour, not the older records', async () => {
    const { logs, events: records } = await events(eventsScript({ [VMMS]: null, [WORKER]: null }));
    expect(logs.map((l) => [l.LogName, l.Mode, l.Exists, l.IsEnabled])).toEqual([
      [VMMS, 'time', true, true],
      [WORKER, 'time', true, true],
    ]);
    expect(records.length).toBeGreaterThanOrEqual(3);
    const hourAgo = Date.now() - 60 * 60_000;
    expect(records.every((r) => Date.parse(r.TimeCreated) >= hourAgo)).toBe(true);
    expect(sim.eventRecords(VMMS).some((r) => r.timeCreatedMs < hourAgo)).toBe(true);
    // Each log keeps its own RecordIds, in order (-Oldest).
    for (const log of [VMMS, WORKER]) {
      const ids = records.filter((r) => r.LogName === log).map((r) => r.RecordId);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    for (const r of records) {
      expect(r.TimeCreated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      expect(r.ProviderName).toBe(r.LogName === VMMS ? 'Microsoft-Windows-Hyper-V-VMMS' : 'Microsoft-Windows-Hyper-V-Worker');
      expect(r.MachineName).toBe('HV07');
      expect(r.VmId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.Message).toContain(`(Virtual machine ID ${r.VmId.toUpperCase()})`);
    }
    const failed = records.find((r) => r.Id === 15130);
    expect(failed).toMatchObject({ Level: 2, LevelDisplayName: 'Error', LogName: VMMS, UserId: 'S-1-5-18' });
  });

  it('writes the records of a real host for each mutation, with upper-case GUIDs in the messages', async () => {
    const vmms = sim.eventRecords(VMMS).at(-1)?.recordId ?? 0;
    const worker = sim.eventRecords(WORKER).at(-1)?.recordId ?? 0;
    const id = sim.addVm({ name: "rhel9-o'brien", state: 'Off' });
    sim.setState(id, 'Running');
    sim.resetVm(id, 'guest');
    sim.setState(id, 'Off', { cause: 'guest-shutdown' });
    sim.setState(id, 'Running');
    sim.removeVm(id);
    const { raw, events: records } = await events(eventsScript({ [VMMS]: vmms, [WORKER]: worker }));
    expect(records.map((r) => [r.LogName === VMMS ? 'vmms' : 'worker', r.Id])).toEqual([
      ['vmms', 13002],
      ['vmms', 13003],
      ['worker', 18500],
      ['worker', 18514],
      ['worker', 18508],
      ['worker', 18500],
      ['worker', 18502],
    ]);
    expect(records.map((r) => r.RecordId)).toEqual([vmms + 1, vmms + 2, worker + 1, worker + 2, worker + 3, worker + 4, worker + 5]);
    expect(records[0].Message).toBe(`A new virtual machine rhel9-o'brien was created. (Virtual machine ID ${id.toUpperCase()})`);
    expect(records[2].Message).toBe(`'rhel9-o'brien' started successfully. (Virtual machine ID ${id.toUpperCase()})`);
    expect(records.every((r) => r.VmName === "rhel9-o'brien" && r.VmId === id)).toBe(true);
    expect(records[2].UserId).toMatch(/^S-1-5-83-1-\d+-\d+-\d+-\d+$/);
    if (powershell === '5.1') expect(raw).toContain('rhel9-o\\u0027brien');
  });

  it('answers newest first without -Oldest, and one record as a bare object', async () => {
    const last = sim.eventRecords(WORKER).at(-1)!.recordId;
    const { raw, events: one } = await events(eventsScript({ [WORKER]: last - 1 }));
    expect(one).toHaveLength(1);
    expect(raw).toMatch(/"Events":\{"RecordId":/);
    const { events: two } = await events(eventsScript({ [WORKER]: last - 2 }, { oldest: false }));
    expect(two.map((r) => r.RecordId)).toEqual([last, last - 1]);
  });

  it('raises NoMatchingEventsFound when nothing matches, unless the script catches it', async () => {
    const last = sim.eventRecords(WORKER).at(-1)!.recordId;
    const caught = await events(eventsScript({ [WORKER]: last }));
    expect(caught.raw).toMatch(/"Events":null/);
    const plain = await run(eventsScript({ [WORKER]: last }, { catchNoMatch: false }));
    expect(plain).toMatchObject({ code: 1, stdout: '', stderr: 'No events were found that match the specified selection criteria.\r\n' });
    const clixml = await run(eventsScript({ [WORKER]: last }, { catchNoMatch: false, wrap: false }));
    expect(clixml.code).toBe(1);
    expect(clixml.stderr).toMatch(/^#< CLIXML/);
    expect(clixml.stderr).toContain('NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand');
  });

  it('appends arbitrary records, restarts RecordIds on a clear, and writes nothing to a disabled or missing log', async () => {
    const before = sim.eventRecords(VMMS).at(-1)!.recordId;
    const custom = sim.appendEvent({ log: VMMS, id: 20414, level: 3, message: 'Storage migration started.', vmName: null, vmId: null, userId: null });
    expect(custom).toBe(before + 1);
    const { events: records } = await events(eventsScript({ [VMMS]: before }));
    expect(records).toEqual([expect.objectContaining({ Id: 20414, Level: 3, LevelDisplayName: 'Warning', VmName: null, VmId: '', UserId: null })]);

    sim.clearEventLog(VMMS);
    const after = await events(eventsScript({ [VMMS]: custom }));
    expect(after.logs[0]).toMatchObject({ Newest: null, Mode: 'time' });
    const vm = sim.vmIds()[0];
    sim.failStart(vm);
    expect(sim.eventRecords(VMMS).map((r) => r.recordId)).toEqual([1]);
    const resync = await events(eventsScript({ [VMMS]: custom! }));
    expect(resync.logs[0]).toMatchObject({ Newest: 1, Mode: 'time' });
    expect(resync.events.map((r) => r.RecordId)).toEqual([1]);

    sim.setEventLogState(VMMS, 'disabled');
    expect(sim.failStart(vm)).toBeUndefined();
    expect(sim.eventRecords(VMMS)).toHaveLength(1);
    const disabled = await events(eventsScript({ [VMMS]: 0 }));
    expect(disabled.logs[0]).toMatchObject({ Exists: true, IsEnabled: false, Newest: 1 });
    sim.setEventLogState(VMMS, 'missing');
    const missing = await events(eventsScript({ [VMMS]: 0, [WORKER]: null }));
    expect(missing.logs[0]).toMatchObject({ LogName: VMMS, Exists: false, Mode: 'none' });
    expect(missing.events.every((r) => r.LogName === WORKER)).toBe(true);
    sim.setEventLogState(VMMS, 'enabled');
  });

  it('answers Get-Counter for running VMs only, with the exported values', async () => {
    const result = await run(METRICS_SCRIPT);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as HyperVMetricsJson;
    const samples = asArray(doc.Samples);
    const vms = asArray(doc.Vms);
    const running = vms.filter((vm) => vm.State === 'Running');
    expect(running.length).toBeGreaterThan(0);
    expect(vms.length).toBeGreaterThan(running.length);
    const minute = counterMinute(new Date(samples[0].Timestamp));
    for (const s of samples) {
      expect(s.Path).toBe(s.Path.toLowerCase());
      expect(s.Path.startsWith('\\\\hv07\\hyper-v ')).toBe(true);
      expect(s.Timestamp).toMatch(/Z$/);
    }
    for (const vm of vms) {
      const name = vm.Name.toLowerCase();
      const vps = samples.filter((s) => s.InstanceName.startsWith(`${name}:hv vp `));
      const memory = samples.find((s) => s.InstanceName === name && s.Path.endsWith('\\guest available memory'));
      if (vm.State !== 'Running') {
        expect(vps).toEqual([]);
        expect(memory).toBeUndefined();
        expect(samples.some((s) => s.InstanceName.includes(vm.Id))).toBe(false);
        continue;
      }
      expect(vps.length).toBeGreaterThan(0);
      vps.forEach((s) => {
        const vp = Number(/:hv vp (\d+)$/.exec(s.InstanceName)![1]);
        expect(s.CookedValue).toBe(simulatedCounterValue(vm.Id, 'guest-run-time', vp, minute));
      });
      expect(memory?.CookedValue).toBe(simulatedCounterValue(vm.Id, 'guest-available-memory', 0, minute));
      expect(samples.find((s) => s.InstanceName.includes(vm.Id))?.CookedValue).toBe(simulatedCounterValue(vm.Id, 'bytes-received', 0, minute));
      const disk = vm.Disks[0].replace(/\\/g, '-').toLowerCase();
      expect(samples.find((s) => s.InstanceName === disk)?.CookedValue).toBe(simulatedCounterValue(vm.Id, 'write-bytes', 0, minute));
    }
    // Only the asked-for counters: Bytes Sent/sec and Read Bytes/sec were not.
    expect(samples.some((s) => s.Path.endsWith('\\bytes sent/sec') || s.Path.endsWith('\\read bytes/sec'))).toBe(false);
    expect(samples.some((s) => s.InstanceName === '_total')).toBe(true);
    expect(sim.counterSamples(new Date(samples[0].Timestamp)).filter((s) => s.Path.endsWith('\\physical memory'))).toHaveLength(running.length);
  });

  it('applies a fault to one script marker only', async () => {
    sim.injectFault({ kind: 'error-record', marker: 'events' });
    const metrics = await run(METRICS_SCRIPT);
    expect(metrics.code).toBe(0);
    const failed = await run(eventsScript({ [WORKER]: null }));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^#< CLIXML/);
    sim.injectFault({ kind: 'truncated-json', marker: 'metrics' });
    const cut = await run(METRICS_SCRIPT);
    expect(() => JSON.parse(cut.stdout) as unknown).toThrow();
    expect(sim.requests.slice(-3).map((r) => [r.marker, r.fault])).toEqual([
      ['metrics', undefined],
      ['events', 'error-record'],
      ['metrics', 'truncated-json'],
    ]);
  });
});
