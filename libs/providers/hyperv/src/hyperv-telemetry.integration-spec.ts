import { graphOfChunks, ProviderError, ProviderErrorCode, type ProviderContext, type ProviderEvent } from '@hybridforms/core';
import { counterMinute, HyperVHostSimulator, simulatedCounterValue } from '@hybridforms/testing';
import type { HyperVCredentials, HyperVProviderConfig } from './hyperv-provider.config.js';
import { HyperVProviderPlugin } from './hyperv-provider.plugin.js';

const VMMS = 'Microsoft-Windows-Hyper-V-VMMS-Admin';
const WORKER = 'Microsoft-Windows-Hyper-V-Worker-Admin';
const MIB = 1024 * 1024;

class RecordingLogger {
  readonly warnings: string[] = [];
  debug(): void {}
  log(): void {}
  error(): void {}
  warn(message: string): void {
    this.warnings.push(message);
  }
}

describe.each([['5.1' as const], ['7' as const]])('Hyper-V events and metrics over real SSH (PowerShell %s answers)', (powershell) => {
  let host: HyperVHostSimulator;
  const plugin = new HyperVProviderPlugin();
  let logger: RecordingLogger;

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: 12, powershell, hostName: 'HV01', seed: 5 });
  });
  afterAll(async () => {
    await host?.stop();
  });
  beforeEach(() => {
    logger = new RecordingLogger();
  });
  afterEach(() => {
    host.clearFaults();
  });

  const config = (over: Partial<HyperVProviderConfig> = {}): HyperVProviderConfig => ({
    username: host.username,
    hosts: [{ host: host.host, port: host.port, hostKeyFingerprint: host.hostKeyFingerprint }],
    commandTimeoutSeconds: 5,
    ...over,
  });
  const ctx = (c: HyperVProviderConfig = config()): ProviderContext<HyperVProviderConfig, HyperVCredentials> => ({
    providerId: 'p',
    config: c,
    credentials: { password: host.password },
    logger,
  });
  const hostId = () => `hyperv:127.0.0.1:${host.port}`;
  const bookmarks = (checkpoint: string | null) => (JSON.parse(checkpoint ?? '{}') as Record<string, Record<string, number>>)[hostId()];
  const summary = (events: ProviderEvent[]) => events.map((e) => [e.type, e.vmNativeId, e.refreshesVm]);

  // The tests run in order: each poll starts from the checkpoint the previous one returned.
  let checkpoint: string | null = null;

  it('reads the last hour of both logs on the first poll, and a bookmark per log', async () => {
    const batch = await plugin.collectEvents(ctx(), null);
    const hourAgo = Date.now() - 60 * 60_000 - 5_000;
    expect(batch.events.length).toBeGreaterThanOrEqual(3);
    expect(batch.events.every((e) => e.occurredAt.getTime() >= hourAgo)).toBe(true);
    // The history's records older than an hour are left out.
    const all = [...host.eventRecords(VMMS), ...host.eventRecords(WORKER)];
    expect(batch.events.length).toBe(all.filter((r) => r.timeCreatedMs >= hourAgo).length);
    expect(bookmarks(batch.checkpoint)).toEqual({ [VMMS]: host.eventRecords(VMMS).at(-1)!.recordId, [WORKER]: host.eventRecords(WORKER).at(-1)!.recordId });
    const failed = batch.events.find((e) => e.raw && (e.raw as { Id: number }).Id === 15130);
    expect(failed).toMatchObject({ type: 'other', status: 'Error', refreshesVm: false, actor: 'S-1-5-18' });
    expect(batch.events.every((e) => e.nativeId.startsWith(`${hostId()}/Microsoft-Windows-Hyper-V-`))).toBe(true);
    checkpoint = batch.checkpoint;
  });

  it('a second poll returns nothing new and keeps the bookmarks', async () => {
    const batch = await plugin.collectEvents(ctx(), checkpoint);
    expect(batch.events).toEqual([]);
    expect(bookmarks(batch.checkpoint)).toEqual(bookmarks(checkpoint));
    checkpoint = batch.checkpoint;
  });

  it('normalizes the events of a created, started, stopped and deleted VM', async () => {
    const id = host.addVm({ name: "rhel9-o'neil", state: 'Off' });
    host.setState(id, 'Running');
    host.setState(id, 'Off', { cause: 'shutdown-ic' });
    host.setState(id, 'Running');
    host.resetVm(id);
    host.removeVm(id);
    const batch = await plugin.collectEvents(ctx(), checkpoint);
    const byLog = (log: string) => batch.events.filter((e) => e.nativeId.includes(`/${log}:`));
    expect(summary(byLog(VMMS))).toEqual([
      ['vm.created', id, true],
      ['vm.deleted', id, true],
    ]);
    expect(summary(byLog(WORKER))).toEqual([
      ['vm.started', id, true],
      ['vm.stopped', id, true],
      ['vm.started', id, true],
      ['vm.restarted', id, true],
      ['vm.stopped', id, true],
    ]);
    const created = byLog(VMMS)[0];
    expect(created).toMatchObject({
      vmName: "rhel9-o'neil",
      status: 'Information',
      message: `A new virtual machine rhel9-o'neil was created. (Virtual machine ID ${id.toUpperCase()})`,
    });
    const record = host.eventRecords(VMMS).find((r) => r.id === 13002 && r.vmId === id)!;
    expect(created.nativeId).toBe(`${hostId()}/${VMMS}:${record.recordId}@${new Date(record.timeCreatedMs).toISOString()}`);
    expect(created.occurredAt.getTime()).toBe(record.timeCreatedMs);
    expect(byLog(WORKER)[0].actor).toMatch(/^S-1-5-83-1-/);
    expect(bookmarks(batch.checkpoint)).toEqual({ [VMMS]: host.eventRecords(VMMS).at(-1)!.recordId, [WORKER]: host.eventRecords(WORKER).at(-1)!.recordId });
    checkpoint = batch.checkpoint;
  });

  it.each([['error-record'], ['truncated-json'], ['disconnect']] as const)('throws on a %s fault, and the next poll from the kept checkpoint loses nothing', async (kind) => {
    const vm = host.vmIds()[0];
    host.failStart(vm);
    host.injectFault({ kind, marker: 'events' });
    const error = await plugin.collectEvents(ctx(), checkpoint).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toMatch(/events script/);
    const batch = await plugin.collectEvents(ctx(), checkpoint);
    expect(summary(batch.events)).toEqual([['other', vm, false]]);
    checkpoint = batch.checkpoint;
  });

  it('times out a hung events script', async () => {
    host.injectFault({ kind: 'hang', marker: 'events' });
    const error = await plugin.collectEvents(ctx(), checkpoint).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe(ProviderErrorCode.Timeout);
  }, 20_000);

  it('resyncs a cleared log by time, with a warning, and goes on from its new RecordIds', async () => {
    host.clearEventLog(WORKER);
    const vm = host.vmIds().find((id) => host.eventRecords(WORKER).every((r) => r.vmId !== id))!;
    host.setState(vm, 'Off');
    host.setState(vm, 'Running');
    const batch = await plugin.collectEvents(ctx(), checkpoint);
    expect(summary(batch.events)).toEqual(expect.arrayContaining([['vm.started', vm, true]]));
    expect(batch.events.map((e) => e.nativeId)).toEqual(expect.arrayContaining([expect.stringContaining(`/${WORKER}:2@`)]));
    expect(bookmarks(batch.checkpoint)[WORKER]).toBe(host.eventRecords(WORKER).at(-1)!.recordId);
    expect(logger.warnings.join('\n')).toMatch(/Worker-Admin .* was cleared or rolled/);
    const again = await plugin.collectEvents(ctx(), batch.checkpoint);
    expect(again.events).toEqual([]);
    checkpoint = again.checkpoint;
  });

  it('reports a disabled and a missing log clearly, and still reads the other', async () => {
    host.setEventLogState(WORKER, 'disabled');
    host.setEventLogState(VMMS, 'missing');
    try {
      const before = bookmarks(checkpoint);
      host.failStart(host.vmIds()[0]); // VMMS is missing: not written
      const batch = await plugin.collectEvents(ctx(), checkpoint);
      expect(batch.events).toEqual([]);
      expect(bookmarks(batch.checkpoint)).toEqual(before);
      const warnings = logger.warnings.join('\n');
      expect(warnings).toContain(`has no event log ${VMMS}`);
      expect(warnings).toContain(`event log ${WORKER} is disabled`);
    } finally {
      host.setEventLogState(WORKER, 'enabled');
      host.setEventLogState(VMMS, 'enabled');
    }
  });

  it('starts over by time from a checkpoint it cannot read', async () => {
    const batch = await plugin.collectEvents(ctx(), 'not json');
    expect(logger.warnings.join('\n')).toMatch(/checkpoint/);
    expect(bookmarks(batch.checkpoint)).toEqual({ [VMMS]: host.eventRecords(VMMS).at(-1)!.recordId, [WORKER]: host.eventRecords(WORKER).at(-1)!.recordId });
  });

  it("captures every running target's metrics in one script, equal to the simulator's values", async () => {
    const inventory = await graphOfChunks(plugin.collectInventory(ctx(), { kind: 'full' }));
    const running = inventory.vms.filter((vm) => vm.powerState === 'running');
    const stopped = inventory.vms.filter((vm) => vm.powerState !== 'running');
    expect(running.length).toBeGreaterThan(1);
    expect(stopped.length).toBeGreaterThan(0);
    const targets = [...running.slice(1), ...stopped].map((vm) => ({ vmNativeId: vm.nativeId, location: null }));
    const before = host.requests.length;
    const samples = await plugin.collectMetrics(ctx(), targets, { from: new Date(Date.now() - 60_000), to: new Date() });
    expect(host.requests.slice(before).map((r) => r.marker)).toEqual(['metrics']);
    // Neither the VM that was not asked for, nor the stopped ones.
    expect(new Set(samples.map((s) => s.vmNativeId))).toEqual(new Set(running.slice(1).map((vm) => vm.nativeId)));
    const minute = counterMinute(samples[0].timestamp);
    for (const vm of running.slice(1)) {
      const of = (name: string) => samples.filter((s) => s.vmNativeId === vm.nativeId && s.name === name);
      for (const s of samples.filter((x) => x.vmNativeId === vm.nativeId)) {
        expect(s.timestamp.getTime()).toBe(minute * 60_000);
      }
      const vps = Array.from({ length: vm.cpuCount ?? 0 }, (_, vp) => simulatedCounterValue(vm.nativeId, 'guest-run-time', vp, minute));
      expect(of('cpu_percent')).toHaveLength(1);
      expect(of('cpu_percent')[0].value).toBeCloseTo(vps.reduce((a, b) => a + b, 0) / vps.length, 9);
      expect(of('memory_available_bytes')[0].value).toBe(simulatedCounterValue(vm.nativeId, 'guest-available-memory', 0, minute) * MIB);
      const nics = inventory.nics.filter((n) => n.vmNativeId === vm.nativeId).length;
      const disks = inventory.disks.filter((d) => d.vmNativeId === vm.nativeId).length;
      const sum = (counter: 'bytes-received' | 'bytes-sent' | 'read-bytes' | 'write-bytes', n: number) =>
        Array.from({ length: n }, (_, i) => simulatedCounterValue(vm.nativeId, counter, i, minute) * 60).reduce((a, b) => a + b, 0);
      expect(of('network_in_bytes')[0].value).toBeCloseTo(sum('bytes-received', nics), 6);
      expect(of('network_out_bytes')[0].value).toBeCloseTo(sum('bytes-sent', nics), 6);
      expect(of('disk_read_bytes')[0].value).toBeCloseTo(sum('read-bytes', disks), 6);
      expect(of('disk_write_bytes')[0].value).toBeCloseTo(sum('write-bytes', disks), 6);
    }
  });

  it('leaves out a counter with no value instead of reporting 0, and a VM that stopped', async () => {
    const [a, b] = host.vmIds().filter((id) => (host.counterSamples().some((s) => s.InstanceName.includes(id))));
    host.withholdCounter(a, 'guest-available-memory');
    host.setState(b, 'Off');
    try {
      const samples = await plugin.collectMetrics(ctx(), [a, b].map((id) => ({ vmNativeId: id, location: null })), { from: new Date(Date.now() - 60_000), to: new Date() });
      expect(samples.filter((s) => s.vmNativeId === a).map((s) => s.name).sort()).toEqual(['cpu_percent', 'disk_read_bytes', 'disk_write_bytes', 'network_in_bytes', 'network_out_bytes']);
      expect(samples.filter((s) => s.vmNativeId === b)).toEqual([]);
    } finally {
      host.withholdCounter(a, 'guest-available-memory', false);
      host.setState(b, 'Running');
    }
  });

  it('skips the CPU and memory counters of a name two VMs share, with a warning', async () => {
    const disk = (file: string) => [{ path: `D:\\Hyper-V\\${file}.vhdx`, vhdType: 'Dynamic' as const, size: 2 ** 30, fileSize: 2 ** 28 }];
    const one = host.addVm({ name: 'twin', vmId: '11111111-2222-4333-8444-555555555555', hardDrives: disk('twin-a') });
    const two = host.addVm({ name: 'TWIN', vmId: '11111111-2222-4333-8444-666666666666', hardDrives: disk('twin-b') });
    try {
      const samples = await plugin.collectMetrics(ctx(), [one, two].map((id) => ({ vmNativeId: id, location: null })), { from: new Date(), to: new Date() });
      expect(samples.some((s) => s.name === 'cpu_percent' || s.name === 'memory_available_bytes')).toBe(false);
      // Storage and network counters name their VM by path and id, so they still count.
      expect(samples.filter((s) => s.vmNativeId === one).map((s) => s.name).sort()).toEqual(['disk_read_bytes', 'disk_write_bytes', 'network_in_bytes', 'network_out_bytes']);
      expect(logger.warnings.join('\n')).toMatch(/named 'twin'/);
    } finally {
      host.removeVm(one);
      host.removeVm(two);
    }
  });

  it('stops a hung metrics script when the work is aborted', async () => {
    host.injectFault({ kind: 'hang', marker: 'metrics' });
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 300);
    const error = await plugin
      .collectMetrics({ ...ctx(), signal: abort.signal }, [{ vmNativeId: host.vmIds()[0], location: null }], { from: new Date(), to: new Date() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ProviderErrorCode.Timeout, message: expect.stringMatching(/aborted/) });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it.each([['error-record'], ['truncated-json'], ['disconnect']] as const)('throws on a %s fault of the metrics script', async (kind) => {
    host.injectFault({ kind, marker: 'metrics' });
    const error = await plugin.collectMetrics(ctx(), [{ vmNativeId: host.vmIds()[0], location: null }], { from: new Date(), to: new Date() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toMatch(/metrics script/);
  });
});

describe('Hyper-V events of several hosts', () => {
  let one: HyperVHostSimulator;
  let two: HyperVHostSimulator;
  const plugin = new HyperVProviderPlugin();

  beforeAll(async () => {
    one = await HyperVHostSimulator.start({ vmCount: 4, hostName: 'HV01', seed: 8 });
    two = await HyperVHostSimulator.start({ vmCount: 4, hostName: 'HV02', seed: 9, password: one.password });
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
  });

  it('keeps a bookmark per host and log, and keeps a failing host\'s bookmarks while the other goes on', async () => {
    const logger = new RecordingLogger();
    const ctx = (): ProviderContext<HyperVProviderConfig, HyperVCredentials> => ({
      providerId: 'p',
      config: {
        username: one.username,
        hosts: [
          { host: one.host, port: one.port, hostKeyFingerprint: one.hostKeyFingerprint },
          { host: two.host, port: two.port, hostKeyFingerprint: two.hostKeyFingerprint },
        ],
        commandTimeoutSeconds: 5,
      },
      credentials: { password: one.password },
      logger,
    });
    const first = await plugin.collectEvents(ctx(), null);
    const idOne = `hyperv:127.0.0.1:${one.port}`;
    const idTwo = `hyperv:127.0.0.1:${two.port}`;
    const checkpoint = JSON.parse(first.checkpoint!) as Record<string, Record<string, number>>;
    expect(Object.keys(checkpoint).sort()).toEqual([idOne, idTwo].sort());
    // The two hosts' RecordIds overlap; the native ids do not.
    expect(new Set(first.events.map((e) => e.nativeId)).size).toBe(first.events.length);
    expect(first.events.filter((e) => e.nativeId.startsWith(`${idTwo}/`)).length).toBeGreaterThan(0);

    const a = one.addVm({ name: 'new-on-one' });
    const b = two.addVm({ name: 'new-on-two' });
    two.injectFault({ kind: 'error-record', marker: 'events' });
    const second = await plugin.collectEvents(ctx(), first.checkpoint);
    expect(second.events.map((e) => [e.type, e.vmNativeId])).toEqual([
      ['vm.created', a],
      ['vm.started', a],
    ]);
    const after = JSON.parse(second.checkpoint!) as Record<string, Record<string, number>>;
    expect(after[idTwo]).toEqual(checkpoint[idTwo]);
    expect(logger.warnings.join('\n')).toMatch(/events of host 127\.0\.0\.1:\d+ not read, its bookmarks are kept/);

    const third = await plugin.collectEvents(ctx(), second.checkpoint);
    expect(third.events.map((e) => [e.type, e.vmNativeId])).toEqual([
      ['vm.created', b],
      ['vm.started', b],
    ]);

    two.injectFault({ kind: 'disconnect', marker: 'events' });
    one.injectFault({ kind: 'truncated-json', marker: 'events' });
    await expect(plugin.collectEvents(ctx(), third.checkpoint)).rejects.toBeInstanceOf(ProviderError);
  });
});
