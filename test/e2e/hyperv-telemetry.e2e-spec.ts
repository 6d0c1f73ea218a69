import { EventCatcher, MetricCapture } from '@hybridforms/discovery';
import { counterMinute, HyperVHostSimulator, simulatedCounterValue } from '@hybridforms/testing';
import { createScratchDatabase } from '../support/postgres.js';
import { hypervProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { QUIET_TELEMETRY, refreshFromEvents as takeRefreshTargets } from '../support/telemetry.js';

type Vm = { id: string; nativeId: string; name: string; powerState: string; cpuCount: number };
type ApiEvent = { type: string; vmId: string | null; vmName: string | null; status: string | null };


describe.each([['sqlite'], ['postgresql']])('Hyper-V events and metrics end to end on %s (SSH simulator → Get-WinEvent / Get-Counter → store → HTTP)', (driver) => {
  let host: HyperVHostSimulator;
  let t: TestApp;
  let providerId: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;

  const vms = async (query = ''): Promise<Vm[]> => (await t.http().get(`/api/v1/vms?limit=500&provider=${providerId}&${query}`).expect(200)).body.items;
  const poll = () => t.app.get(EventCatcher).poll(providerId);
  const refreshFromEvents = () => takeRefreshTargets(t, providerId);

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: 10 });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_hvtel') : null;
    t = await startTestApp({ ...QUIET_TELEMETRY, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const created = await t.http().post('/api/v1/providers').send(hypervProviderRequest(host, 'hv-events')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    expect(await poll()).toMatchObject({ status: 'stored' });
    await refreshFromEvents();
  });
  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await host?.stop();
  });

  it('inventories a VM created on the host from its VMMS event, and follows a shutdown from the Worker log', async () => {
    const vmId = host.addVm({ name: 'rhel9-from-event', state: 'Running' });
    expect(await poll()).toMatchObject({ status: 'stored' });
    const refreshId = await refreshFromEvents();
    expect(refreshId).not.toBeNull();
    const [vm] = await vms('q=rhel9-from-event');
    expect(vm).toMatchObject({ nativeId: vmId, powerState: 'running' });
    const types = ((await t.http().get(`/api/v1/vms/${vm.id}/events`).expect(200)).body.items as ApiEvent[]).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['vm.created', 'vm.started']));

    host.setState(vmId, 'Off', { cause: 'guest-shutdown' });
    expect(await poll()).toMatchObject({ status: 'stored', stored: 1, refreshTargets: 1 });
    await refreshFromEvents();
    expect((await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body.powerState).not.toBe('running');
    const stopped: ApiEvent[] = (await t.http().get(`/api/v1/vms/${vm.id}/events?type=vm.stopped`).expect(200)).body.items;
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toMatchObject({ vmId: vm.id, vmName: 'rhel9-from-event' });
    // Nothing new on the host: the bookmarks hold.
    expect(await poll()).toMatchObject({ status: 'stored', stored: 0 });
  });

  it('captures Get-Counter metrics of the running VMs only, in our units', async () => {
    const now = new Date();
    const outcome = await t.app.get(MetricCapture).capture(providerId, now);
    const running = await vms('powerState=running');
    expect(outcome).toMatchObject({ status: 'stored', vms: running.length });
    const q = `from=${new Date(now.getTime() - 5 * 60_000).toISOString()}&to=${new Date(now.getTime() + 60_000).toISOString()}&interval=raw`;
    for (const vm of running.slice(0, 3)) {
      const body = (await t.http().get(`/api/v1/vms/${vm.id}/metrics?name=cpu_percent,memory_available_bytes&${q}`).expect(200)).body;
      const [cpu, memory] = body.series as { name: string; points: { timestamp: string; value: number }[] }[];
      expect(cpu.points).toHaveLength(1);
      expect(memory.points).toHaveLength(1);
      const minute = counterMinute(new Date(cpu.points[0].timestamp));
      // CPU is the mean of the VM's virtual processors; memory is Guest Available Memory (MB) in bytes.
      const vps = Array.from({ length: vm.cpuCount }, (_, i) => simulatedCounterValue(vm.nativeId, 'guest-run-time', i, minute));
      expect(cpu.points[0].value).toBeCloseTo(vps.reduce((s, v) => s + v, 0) / vps.length, 6);
      expect(memory.points[0].value).toBe(simulatedCounterValue(vm.nativeId, 'guest-available-memory', 0, minute) * 1024 * 1024);
    }
    const [off] = await vms('q=rhel9-from-event');
    const none = (await t.http().get(`/api/v1/vms/${off.id}/metrics?${q}`).expect(200)).body.series as { points: unknown[] }[];
    expect(none.every((s) => s.points.length === 0)).toBe(true);
  });
});
