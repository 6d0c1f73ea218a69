import { AzureSimulator, HyperVHostSimulator, type SimRequest } from '@hybridforms/testing';
import { settleOperations } from '../support/operations.js';
import { createScratchDatabase } from '../support/postgres.js';
import { azureProviderRequest, hypervProviderRequest } from '../support/provider-requests.js';
import { QUIET_TELEMETRY, refreshFromEvents } from '../support/telemetry.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { apiFromTestApp, checkInvariants, dbFromDataSource, type DbAccess } from './support/invariants.js';
import { DataSource } from 'typeorm';

/*
 * Faults a lifecycle operation meets: Azure throttling its status URL, 5xx on the action and on
 * the status URL, a Hyper-V host that drops the SSH connection mid-command. Each scenario ends with
 * the operation in a final state, the cloud asked no more often than the fault forced, the
 * inventory read back to the simulator's truth, and the shared invariants.
 */

type Operation = { id: string; status: string; errorCode: string | null; error: string | null; steps: { name: string; status: string }[] };
type Vm = { id: string; nativeId: string; name: string; powerState: string };

const counts = { scenarios: 0, invariants: 0 };
afterAll(() => console.log(`faults: ${counts.scenarios} scenarios, ${counts.invariants} invariant checks (operation-faults.fault-spec.ts)`));

describe.each([['sqlite'], ['postgresql']])('operation faults on %s', (driver) => {
  let sim: AzureSimulator;
  let host: HyperVHostSimulator;
  let t: TestApp;
  let azureId: string;
  let hypervId: string;
  let db: DbAccess;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;

  const running = async (providerId: string): Promise<Vm[]> => (await t.http().get(`/api/v1/vms?provider=${providerId}&powerState=running&limit=500`).expect(200)).body.items;
  const settle = async (id: string): Promise<Operation> => {
    await settleOperations(t, [azureId, hypervId]);
    return (await t.http().get(`/api/v1/operations/${id}`).expect(200)).body;
  };
  const act = async (vm: Vm, body: Record<string, unknown>) => settle((await t.http().post(`/api/v1/vms/${vm.id}/actions`).send(body).expect(202)).body.id);
  const postsOf = (vm: Vm, since: number): SimRequest[] => sim.requests.slice(since).filter((r) => r.method === 'POST' && r.vmAction && r.path.toLowerCase().startsWith(vm.nativeId));
  const truth = () => [
    { providerId: azureId, vmNativeIds: sim.vmIds() },
    { providerId: hypervId, vmNativeIds: host.vmIds() },
  ];

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 8, operationDelayMs: 1500, operationRetryAfterSeconds: 1 });
    host = await HyperVHostSimulator.start({ vmCount: 0 });
    for (const name of ['hv-fault-a', 'hv-fault-b']) host.addVm({ name, state: 'Running' });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_opf') : null;
    t = await startTestApp({ ...QUIET_TELEMETRY, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const azure = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'azure-opf')).expect(201);
    const hyperv = await t.http().post('/api/v1/providers').send(hypervProviderRequest(host, 'hv-opf')).expect(201);
    azureId = azure.body.id;
    hypervId = hyperv.body.id;
    await waitForRefresh(t, azure.body.refreshId);
    await waitForRefresh(t, hyperv.body.refreshId);
    db = dbFromDataSource(t.app.get(DataSource));
  });
  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await sim?.stop();
    await host?.stop();
  });
  afterEach(async () => {
    sim.clearFaults();
    host.clearFaults();
    counts.invariants += await checkInvariants({ api: apiFromTestApp(t), db, providers: truth() });
    counts.scenarios += 1;
  });

  it('rides out 429s on the status URL (paced by their Retry-After), never asking Azure twice', async () => {
    const [vm] = await running(azureId);
    const mark = sim.requests.length;
    sim.injectFault({ route: 'operations', kind: 'throttle', retryAfterSeconds: 1, times: 2 });
    const operation = await act(vm, { action: 'stop' });
    expect([operation.status, operation.error]).toEqual(['succeeded', null]);
    expect(postsOf(vm, mark)).toHaveLength(1);
    expect(sim.requests.slice(mark).filter((r) => r.route === 'operations' && r.status === 429)).toHaveLength(2);
    expect((await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body.powerState).toBe('stopped');
  });

  it('asks again when the action itself meets a 503 (it was not taken), and succeeds with one accepted POST', async () => {
    const [vm] = await running(azureId);
    const mark = sim.requests.length;
    sim.injectFault({ route: 'virtualMachineActions', kind: 'error', status: 503, times: 1 });
    const operation = await act(vm, { action: 'restart' });
    expect(operation.status).toBe('succeeded');
    const posts = postsOf(vm, mark);
    expect(posts.filter((r) => r.status === 202)).toHaveLength(1);
    expect(posts.filter((r) => r.status === 503)).toHaveLength(1);
  });

  it('fails clearly when the status URL keeps answering 500, and reads the VM back to what Azure did', async () => {
    const [vm] = await running(azureId);
    sim.injectFault({ route: 'operations', kind: 'error', status: 500, times: Infinity });
    const operation = await act(vm, { action: 'deallocate' });
    sim.clearFaults();
    expect(operation.status).toBe('failed');
    expect(operation.error).toMatch(/500|internal/i);
    expect(operation.steps.map((s) => [s.name, s.status])).toEqual([
      ['deallocate', 'failed'],
      ['refresh', 'done'],
    ]);
    // Azure carried it out all the same; the refresh the failure asked for says so.
    await refreshFromEvents(t, azureId);
    expect((await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body.powerState).toBe('deallocated');
  });

  it('survives a Hyper-V host dropping the connection after it acted: asked again as resumed, a no-op, succeeded', async () => {
    const [vm] = await running(hypervId);
    host.injectFault({ kind: 'disconnect', marker: 'vm-action', times: 1 });
    const operation = await act(vm, { action: 'stop', force: true });
    expect([operation.status, operation.error]).toEqual(['succeeded', null]);
    expect(host.vmState(vm.nativeId)).toBe('Off');
    expect(host.appliedCmdlets(vm.nativeId)).toEqual([`Stop-VM -TurnOff -Force ${vm.nativeId}`, `no-op ${vm.nativeId}`]);
    expect((await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body.powerState).toBe('stopped');
  });

  it('fails clearly when the host keeps dropping the connection, leaving nothing running', async () => {
    const [vm] = await running(hypervId);
    host.injectFault({ kind: 'disconnect', marker: 'vm-action', times: Infinity });
    const operation = await act(vm, { action: 'restart' });
    host.clearFaults();
    expect(operation.status).toBe('failed');
    expect(operation.errorCode).toBe('unreachable');
    expect((await t.http().get(`/api/v1/operations?status=running`).expect(200)).body.items).toEqual([]);
  });
});

describe('an operation that outlasts operations.timeoutSeconds (sqlite)', () => {
  let sim: AzureSimulator;
  let t: TestApp;
  let providerId: string;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 4, operationDelayMs: 9_000, operationRetryAfterSeconds: 1 });
    t = await startTestApp({ ...QUIET_TELEMETRY, HYBRIDFORMS_OPERATION_TIMEOUT_SECONDS: '5' });
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'azure-timeout')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('fails with timeout when Azure has not settled in time; resumed, it polls the same async operation and succeeds', async () => {
    const [vm] = (await t.http().get(`/api/v1/vms?provider=${providerId}&powerState=running&limit=1`).expect(200)).body.items as Vm[];
    const accepted = await t.http().post(`/api/v1/vms/${vm.id}/actions`).send({ action: 'stop' }).expect(202);
    await settleOperations(t, [providerId]);
    const timedOut: Operation = (await t.http().get(`/api/v1/operations/${accepted.body.id}`).expect(200)).body;
    expect(timedOut.status).toBe('failed');
    expect(timedOut.errorCode).toBe('timeout');
    expect(timedOut.error).toContain('the operation goes on in Azure');

    await t.http().post(`/api/v1/operations/${accepted.body.id}/resume`).expect(202);
    await settleOperations(t, [providerId]);
    const resumed: Operation = (await t.http().get(`/api/v1/operations/${accepted.body.id}`).expect(200)).body;
    expect([resumed.status, resumed.error]).toEqual(['succeeded', null]);
    expect(sim.requests.filter((r) => r.method === 'POST' && r.vmAction === 'powerOff')).toHaveLength(1);
    expect((await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body.powerState).toBe('stopped');
    counts.scenarios += 1;
  }, 60_000);
});
