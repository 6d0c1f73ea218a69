import type { AddressInfo } from 'node:net';
import { EventCatcher } from '@hybridforms/discovery';
import { AzureSimulator, HyperVHostSimulator, type SimRequest } from '@hybridforms/testing';
import { createScratchDatabase } from '../support/postgres.js';
import { azureProviderRequest, hypervProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { settleOperations } from '../support/operations.js';
import { openSse } from '../support/sse-client.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';

type Vm = { id: string; nativeId: string; name: string; powerState: string; archivedAt: string | null };
type Step = { name: string; status: string; startedAt: string | null; finishedAt: string | null; detail: string | null };
type Operation = {
  id: string;
  kind: string;
  action: string;
  vmId: string;
  vmName: string;
  status: string;
  requestedBy: string;
  steps: Step[];
  errorCode: string | null;
  error: string | null;
  batchId: string | null;
  confirmedByRefreshId: string | null;
};
type Change = { field: string; from: unknown; to: unknown; refreshId: string | null; operationId: string | null };

const DELAY_MS = 600;

describe.each([['sqlite'], ['postgresql']])('VM power actions end to end on %s (API → operation job → Azure SDK pollers → simulator → targeted refresh)', (driver) => {
  let sim: AzureSimulator;
  let t: TestApp;
  let providerId: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  const tokens: Record<'viewer' | 'operator', string> = {} as never;

  const as = (token: string) => ({
    post: (path: string) => t.anonymous().post(path).set('authorization', `Bearer ${token}`),
    get: (path: string) => t.anonymous().get(path).set('authorization', `Bearer ${token}`),
  });
  const vms = async (query = ''): Promise<Vm[]> => (await t.http().get(`/api/v1/vms?limit=500&provider=${providerId}&${query}`).expect(200)).body.items;
  const vm = async (id: string): Promise<Vm> => (await t.http().get(`/api/v1/vms/${id}`).expect(200)).body;
  const changes = async (id: string): Promise<Change[]> => (await t.http().get(`/api/v1/vms/${id}/changes?field=powerState&limit=100`).expect(200)).body.items;
  /**
   * Waits for every operation and the refreshes they ask for (targets left while another refresh
   * ran are drained now, not after the coalescing delay); then the operation as stored.
   */
  const settled = async (id: string): Promise<Operation> => {
    await settleOperations(t, [providerId]);
    return (await t.http().get(`/api/v1/operations/${id}`).expect(200)).body;
  };
  const simRequests = (nativeId: string): SimRequest[] => sim.requests.filter((r) => r.path.toLowerCase().startsWith(nativeId));
  const actionPosts = (nativeId: string) => simRequests(nativeId).filter((r) => r.method === 'POST');

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 8, operationDelayMs: DELAY_MS, operationRetryAfterSeconds: 1 });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_ops') : null;
    t = await startTestApp({ ...QUIET_TELEMETRY, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'azure-ops')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    for (const role of ['viewer', 'operator'] as const) tokens[role] = (await t.http().post('/api/v1/tokens').send({ name: `ops-${role}`, role }).expect(201)).body.token;
  });
  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await sim?.stop();
  });
  beforeEach(() => {
    sim.clearRequests();
    sim.clearFaults();
  });

  it('stops a VM: one POST powerOff, polls paced by Retry-After, the optimistic state, and a refresh that confirms it', async () => {
    const [target] = await vms('powerState=running');
    const accepted = await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'stop' }).expect(202);
    expect(accepted.body).toMatchObject({ kind: 'vm-action', action: 'stop', vmId: target.id, vmName: target.name, status: 'queued', requestedBy: 'ops-operator' });
    expect(accepted.body.steps.map((s: Step) => [s.name, s.status])).toEqual([
      ['stop', 'pending'],
      ['refresh', 'pending'],
    ]);

    const operation = await settled(accepted.body.id);
    expect(operation).toMatchObject({ status: 'succeeded', errorCode: null, error: null });
    expect(operation.steps.every((s) => s.status === 'done' && s.startedAt && s.finishedAt)).toBe(true);
    expect(operation).not.toHaveProperty('steps.0.continuation');
    expect((await vm(target.id)).powerState).toBe('stopped');

    // The cloud was asked once; the status URL was polled no faster than Retry-After allows.
    const posts = actionPosts(target.nativeId);
    expect(posts.map((r) => r.path.split('/').pop())).toEqual(['powerOff']);
    const polls = sim.requests.filter((r) => r.route === 'operations' && r.vmAction === 'powerOff');
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(polls.length).toBeLessThanOrEqual(Math.ceil(DELAY_MS / 1000) + 2);

    // running → stopping when Azure accepted (the operation's), stopping → stopped by the refresh it asked for.
    const history = await changes(target.id);
    expect(history.slice(0, 2).reverse().map((c) => [c.from, c.to, c.operationId])).toEqual([
      ['running', 'stopping', operation.id],
      ['stopping', 'stopped', operation.id],
    ]);
    expect(history[1].refreshId).toBeNull();
    expect(history[0].refreshId).not.toBeNull();
    expect(operation.confirmedByRefreshId).toBe(history[0].refreshId);
    const refresh = (await t.http().get(`/api/v1/refreshes/${history[0].refreshId}`).expect(200)).body;
    expect(refresh).toMatchObject({ kind: 'targeted', targets: [target.nativeId], status: 'completed' });
  });

  it("catches the Activity Log events of the action as usual, linked to the VM, and their refresh converges with the operation's", async () => {
    const [target] = await vms('powerState=running');
    await t.app.get(EventCatcher).poll(providerId);
    const operation = await settled((await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'stop' }).expect(202)).body.id);
    expect(operation.status).toBe('succeeded');
    expect(await t.app.get(EventCatcher).poll(providerId)).toMatchObject({ status: 'stored' });
    const events = (await t.http().get(`/api/v1/vms/${target.id}/events?type=vm.stopped`).expect(200)).body.items as { status: string; vmId: string }[];
    expect(events.map((e) => [e.status, e.vmId])).toEqual([
      ['Succeeded', target.id],
      ['Started', target.id],
    ]);
    // The refresh the Succeeded event asks for reads the same state: nothing changes.
    await settled(operation.id);
    expect((await vm(target.id)).powerState).toBe('stopped');
    expect((await changes(target.id))[0]).toMatchObject({ from: 'stopping', to: 'stopped', operationId: operation.id });
  });

  it('deallocates and starts again, each a tracked operation that the inventory follows', async () => {
    const [target] = await vms('powerState=running');
    const deallocate = await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'deallocate' }).expect(202);
    expect((await settled(deallocate.body.id)).status).toBe('succeeded');
    expect((await vm(target.id)).powerState).toBe('deallocated');
    const start = await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'start' }).expect(202);
    expect((await settled(start.body.id)).status).toBe('succeeded');
    expect((await vm(target.id)).powerState).toBe('running');
    expect(actionPosts(target.nativeId).map((r) => r.path.split('/').pop())).toEqual(['deallocate', 'start']);

    const listed: Operation[] = (await t.http().get(`/api/v1/operations?vm=${target.id}`).expect(200)).body.items;
    expect(listed.map((o) => [o.action, o.status])).toEqual([
      ['start', 'succeeded'],
      ['deallocate', 'succeeded'],
    ]);
    expect((await t.http().get(`/api/v1/operations?vm=${target.id}&status=failed`).expect(200)).body.items).toEqual([]);
  });

  it('restarts a running VM', async () => {
    const [target] = await vms('powerState=running');
    const restart = await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'restart' }).expect(202);
    expect((await settled(restart.body.id)).status).toBe('succeeded');
    expect((await vm(target.id)).powerState).toBe('running');
    expect(actionPosts(target.nativeId).map((r) => r.path.split('/').pop())).toEqual(['restart']);
  });

  it('refuses what cannot apply: 409 for the wrong state, 400 for an action Azure has not, 404 for no VM; nothing is sent', async () => {
    const [running] = await vms('powerState=running');
    const wrong = await as(tokens.operator).post(`/api/v1/vms/${running.id}/actions`).send({ action: 'start' }).expect(409);
    expect(wrong.body.message).toBe(`cannot start ${running.name}: the VM is already running`);
    const suspend = await as(tokens.operator).post(`/api/v1/vms/${running.id}/actions`).send({ action: 'suspend' }).expect(400);
    expect(suspend.body.message).toContain('suspend is not an action of azure VMs; allowed: start, stop, deallocate, restart');
    const force = await as(tokens.operator).post(`/api/v1/vms/${running.id}/actions`).send({ action: 'restart', force: true }).expect(400);
    expect(force.body.message).toContain('only a stop can be forced');
    await as(tokens.operator).post(`/api/v1/vms/${running.id}/actions`).send({ action: 'powerOff' }).expect(400);
    await as(tokens.operator).post(`/api/v1/vms/${running.id}/actions`).send({}).expect(400);
    await as(tokens.operator).post('/api/v1/vms/00000000-0000-4000-8000-000000000000/actions').send({ action: 'stop' }).expect(404);
    expect(sim.requests.filter((r) => r.method === 'POST' && r.vmAction)).toEqual([]);
    expect((await t.http().get(`/api/v1/operations?vm=${running.id}`).expect(200)).body.items.filter((o: Operation) => o.status === 'queued')).toEqual([]);
  });

  it('holds one action per VM at a time: a second is 409 naming the running operation', async () => {
    const [target] = await vms('powerState=running');
    const first = await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'restart' }).expect(202);
    const second = await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'stop' }).expect(409);
    expect(second.body.message).toContain(`operation ${first.body.id} (restart,`);
    expect((await settled(first.body.id)).status).toBe('succeeded');
    expect(actionPosts(target.nativeId).map((r) => r.path.split('/').pop())).toEqual(['restart']);
  });

  it('lets a viewer read operations but not act, and audits every request', async () => {
    const [target] = await vms('powerState=running');
    await as(tokens.viewer).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'stop' }).expect(403);
    await as(tokens.viewer).post('/api/v1/vm-actions').send({ action: 'stop', targets: { vmIds: [target.id] } }).expect(403);
    await as(tokens.viewer).get('/api/v1/operations').expect(200);
    await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'start' }).expect(409);
    const audit = (await t.http().get('/api/v1/audit?action=vm.action&limit=100').expect(200)).body.items as { actor: string; outcome: string; statusCode: number; targetId: string }[];
    const ofTarget = audit.filter((a) => a.targetId === target.id);
    expect(ofTarget.map((a) => [a.actor, a.outcome, a.statusCode])).toEqual(
      expect.arrayContaining([
        ['ops-viewer', 'denied', 403],
        ['ops-operator', 'failure', 409],
      ]),
    );
    expect(audit.some((a) => a.actor === 'ops-operator' && a.outcome === 'success' && a.statusCode === 202)).toBe(true);
  });

  it("surfaces Azure's asynchronous failure and lets the refresh undo the optimistic state", async () => {
    const [target] = await vms('powerState=running');
    const simId = sim.vmIds().find((id) => id.toLowerCase() === target.nativeId)!;
    sim.failVmOperations({ vmId: simId, action: 'restart', error: { code: 'OSProvisioningTimedOut', message: 'OS Provisioning for VM did not finish in the allotted time.' } });
    const accepted = await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'restart' }).expect(202);
    const operation = await settled(accepted.body.id);
    expect(operation.status).toBe('failed');
    expect(operation.error).toContain('OSProvisioningTimedOut');
    expect(operation.error).toContain('OS Provisioning for VM did not finish in the allotted time.');
    expect(operation.steps.map((s) => [s.name, s.status])).toEqual([
      ['restart', 'failed'],
      ['refresh', 'done'],
    ]);
    expect((await vm(target.id)).powerState).toBe('running');
    const [last, optimistic] = await changes(target.id);
    expect([optimistic.to, last.to, last.operationId]).toEqual(['starting', 'running', operation.id]);
  });

  it('acts on a selection: one operation per VM that can take it, the rest skipped with the reason', async () => {
    const [stopped] = await vms('powerState=running');
    await settled((await as(tokens.operator).post(`/api/v1/vms/${stopped.id}/actions`).send({ action: 'stop' }).expect(202)).body.id);
    const all = await vms();
    const running = all.filter((v) => v.powerState === 'running');
    const batch = await as(tokens.operator).post('/api/v1/vm-actions').send({ action: 'restart', targets: { selector: { provider: providerId } } }).expect(202);
    expect(batch.body.operations.map((o: Operation) => o.vmId).sort()).toEqual(running.map((v) => v.id).sort());
    expect(batch.body.skipped).toEqual(expect.arrayContaining([{ vmId: stopped.id, name: stopped.name, reason: 'restart needs a VM that is running; it is stopped' }]));
    for (const o of batch.body.operations as Operation[]) expect(o.batchId).toBe(batch.body.id);
    await settled(batch.body.operations[0].id);
    const ofBatch: Operation[] = (await t.http().get(`/api/v1/operations?batch=${batch.body.id}&limit=100`).expect(200)).body.items;
    expect(ofBatch.map((o) => o.status)).toEqual(running.map(() => 'succeeded'));
    expect(sim.requests.filter((r) => r.method === 'POST' && r.vmAction === 'restart').length).toBe(running.length);

    const none = await as(tokens.operator).post('/api/v1/vm-actions').send({ action: 'start', targets: { vmIds: running.map((v) => v.id) } }).expect(409);
    expect(none.body.message).toContain('the VM is already running');
    await as(tokens.operator).post('/api/v1/vm-actions').send({ action: 'start', targets: { vmIds: [] } }).expect(400);
    await as(tokens.operator).post('/api/v1/vm-actions').send({ action: 'start', targets: { vmIds: [stopped.id], selector: {} } }).expect(400);
  });

  it('streams an operation over SSE until it ends, and its changes on the events stream', async () => {
    const [target] = await vms('powerState=running');
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const live = await openSse<Operation>((server.address() as AddressInfo).port, `/api/v1/events/stream?vm=${target.id}`, { authorization: `Bearer ${tokens.viewer}` }, 'operation');
    const accepted = await as(tokens.operator).post(`/api/v1/vms/${target.id}/actions`).send({ action: 'restart' }).expect(202);
    const stream = await as(tokens.viewer).get(`/api/v1/operations/${accepted.body.id}`).set('accept', 'text/event-stream').buffer(true).parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done(null, text));
    });
    const frames = String(stream.body).split('\n\n').filter(Boolean);
    const types = frames.map((frame) => frame.split('\n').find((line) => line.startsWith('event: '))?.slice(7));
    expect(types[types.length - 1]).toBe('end');
    expect(types.filter((type) => type === 'operation').length).toBeGreaterThanOrEqual(1);
    const end = JSON.parse(frames[frames.length - 1].split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as Operation;
    expect(end).toMatchObject({ id: accepted.body.id, status: 'succeeded' });
    await settled(accepted.body.id);
    const changes = await live.until((frames) => frames.some((o) => o.status === 'succeeded'));
    live.close();
    expect(changes.every((o) => o.id === accepted.body.id)).toBe(true);
    expect(changes.map((o) => o.status)).toEqual(expect.arrayContaining(['running', 'succeeded']));
  });
});

describe.each([['sqlite'], ['postgresql']])('Hyper-V power actions end to end on %s (API → operation job → PowerShell over SSH → simulated host → targeted refresh)', (driver) => {
  let host: HyperVHostSimulator;
  let t: TestApp;
  let providerId: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;

  const byName = async (name: string): Promise<Vm> => (await t.http().get(`/api/v1/vms?provider=${providerId}&q=${name}`).expect(200)).body.items[0];
  const act = (vm: Vm, body: Record<string, unknown>) => t.http().post(`/api/v1/vms/${vm.id}/actions`).send(body);
  const settled = async (id: string): Promise<Operation> => {
    await settleOperations(t, [providerId]);
    return (await t.http().get(`/api/v1/operations/${id}`).expect(200)).body;
  };
  const run = async (vm: Vm, body: Record<string, unknown>): Promise<Operation> => settled((await act(vm, body).expect(202)).body.id);
  const powerOf = async (vm: Vm) => (await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body.powerState as string;

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: 0 });
    host.addVm({ name: 'hv-ops-web', state: 'Running' });
    host.addVm({ name: 'hv-ops-db', state: 'Running' });
    host.addVm({ name: 'hv-ops-noshutdown', state: 'Running', disabledIntegrationServices: ['Guest Service Interface', 'Shutdown'] });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_hvops') : null;
    t = await startTestApp({ ...QUIET_TELEMETRY, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const created = await t.http().post('/api/v1/providers').send(hypervProviderRequest(host, 'hv-ops')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
  });
  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await host?.stop();
  });

  it('shuts a guest down, starts it, saves it and resumes it, each by the VM id, each read back by a refresh', async () => {
    const vm = await byName('hv-ops-web');
    const steps: [Record<string, unknown>, string, string, string][] = [
      [{ action: 'stop' }, 'Off', 'stopped', 'Stop-VM -Force'],
      [{ action: 'start' }, 'Running', 'running', 'Start-VM'],
      [{ action: 'suspend' }, 'Saved', 'suspended', 'Save-VM'],
      [{ action: 'resume' }, 'Running', 'running', 'Start-VM'],
      [{ action: 'restart' }, 'Running', 'running', 'Restart-VM -Force'],
    ];
    for (const [body, hostState, powerState, cmdlet] of steps) {
      const operation = await run(vm, body);
      expect([body.action, operation.status, operation.error]).toEqual([body.action, 'succeeded', null]);
      expect(host.vmState(vm.nativeId)).toBe(hostState);
      expect(host.appliedCmdlets(vm.nativeId).pop()).toBe(`${cmdlet} ${vm.nativeId}`);
      expect(await powerOf(vm)).toBe(powerState);
      const [last] = (await t.http().get(`/api/v1/vms/${vm.id}/changes?field=powerState&limit=1`).expect(200)).body.items as Change[];
      if (body.action !== 'restart') expect([last.to, last.operationId]).toEqual([powerState, operation.id]);
    }
  });

  it('turns a VM off only when asked with force, and reports a graceful stop the guest cannot take', async () => {
    const vm = await byName('hv-ops-noshutdown');
    const graceful = await run(vm, { action: 'stop' });
    expect(graceful.status).toBe('failed');
    expect(graceful.error).toContain('shutdown integration service');
    expect(graceful.error).toContain('stop it with force');
    expect(host.vmState(vm.nativeId)).toBe('Running');
    expect(await powerOf(vm)).toBe('running');
    const forced = await run(vm, { action: 'stop', force: true });
    expect(forced.status).toBe('succeeded');
    expect(host.appliedCmdlets(vm.nativeId).pop()).toBe(`Stop-VM -TurnOff -Force ${vm.nativeId}`);
    expect(await powerOf(vm)).toBe('stopped');
  });

  it("refuses Azure's deallocate with the actions Hyper-V has, and the wrong state with the reason", async () => {
    const vm = await byName('hv-ops-db');
    const deallocate = await act(vm, { action: 'deallocate' }).expect(400);
    expect(deallocate.body.message).toContain('deallocate is not an action of hyperv VMs; allowed: start, stop, restart, suspend, resume');
    const resume = await act(vm, { action: 'resume' }).expect(409);
    expect(resume.body.message).toBe('cannot resume hv-ops-db: the VM is already running');
    expect(host.appliedCmdlets(vm.nativeId)).toEqual([]);
  });

  it("turns Hyper-V's own refusal into a clear operation error when the inventory was out of date", async () => {
    const vm = await byName('hv-ops-db');
    // Turned off behind the inventory's back: it still says running, so the API lets a restart through, and Hyper-V refuses it.
    host.setState(vm.nativeId, 'Off');
    const operation = await run(vm, { action: 'restart' });
    expect(operation.status).toBe('failed');
    expect(operation.errorCode).toBe('conflict');
    expect(operation.error).toContain('Hyper-V refused Restart-VM');
    expect(operation.error).toContain('The operation cannot be performed while the object is in its current state.');
    expect(await powerOf(vm)).toBe('stopped');
  });
});
