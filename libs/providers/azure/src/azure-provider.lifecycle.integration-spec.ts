import { graphOfChunks, ProviderError, ProviderErrorCode, type InventoryGraph, type VmActionTarget } from '@hybridforms/core';
import { AzureSimulator, type SimRequest } from '@hybridforms/testing';
import { AzureProviderPlugin } from './azure-provider.plugin.js';
import { decodeAzureContinuation } from './azure.vm-operator.js';
import { simContext } from './__fixtures__/sim-context.js';

// Power actions and deletions through the real arm-compute 24 / arm-network 36 pollers against the
// simulator's long-running operations (202 + Azure-AsyncOperation + Retry-After).

const DELAY_MS = 1500;
const RETRY_AFTER_S = 1;
const RG = 'rg-actions';

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!ProviderError.is(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('Azure provider plugin: power actions and deletions on the simulator, through the real SDK pollers', () => {
  let sim: AzureSimulator;
  let seq = 0;
  const plugin = new AzureProviderPlugin();

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 2, operationDelayMs: DELAY_MS, operationRetryAfterSeconds: RETRY_AFTER_S });
  });
  afterAll(() => sim?.stop());
  beforeEach(() => {
    sim.clearFaults();
    sim.setVmOperationTiming({ delayMs: DELAY_MS, retryAfterSeconds: RETRY_AFTER_S });
  });

  const ctx = (signal?: AbortSignal) => simContext(sim, {}, signal);

  function addVm(powerState: 'running' | 'deallocated' = 'running'): { id: string; target: VmActionTarget } {
    const name = `vm-act-${++seq}`;
    const id = sim.addVm(sim.subscriptionIds[0], { name, resourceGroup: RG, powerState, publicIp: true, guestOsName: 'redhat', guestOsVersion: '9.4' });
    return { id, target: { nativeId: id.toLowerCase(), name, hostNativeId: null, powerState } };
  }

  async function powerOf(id: string): Promise<string | undefined> {
    const graph = await graphOfChunks(plugin.collectInventory(ctx(), { kind: 'targeted', nativeIds: [id.toLowerCase()] }));
    return graph.vms[0]?.powerState;
  }

  async function fullInventory(): Promise<InventoryGraph> {
    return graphOfChunks(plugin.collectInventory(ctx(), { kind: 'full' }));
  }

  /** The requests of the simulator log that belong to the VM operations, from this test on. */
  function since(mark: number): SimRequest[] {
    return sim.requests.slice(mark);
  }
  const posts = (requests: SimRequest[]) => requests.filter((r) => r.route === 'virtualMachineActions');
  /** GETs of the Azure-AsyncOperation URL (not the one final GET of the Location URL, `monitor=true`). */
  const statusPolls = (requests: SimRequest[]) => requests.filter((r) => r.route === 'operations' && r.query.monitor === undefined);
  const locationGets = (requests: SimRequest[]) => requests.filter((r) => r.route === 'operations' && r.query.monitor === 'true');

  it('moves a VM through stop, deallocate, start and restart as the next inventory sees it', async () => {
    const { id, target } = addVm();
    for (const [action, expected] of [
      ['stop', 'stopped'],
      ['deallocate', 'deallocated'],
      ['start', 'running'],
      ['restart', 'running'],
    ] as const) {
      const progress = await plugin.act(ctx(), target, { action });
      expect(progress.state).toBe('accepted');
      if (progress.state === 'accepted') await plugin.awaitSettled(ctx(), progress.continuation);
      expect([action, await powerOf(id)]).toEqual([action, expected]);
    }
    expect(sim.vmOperations().filter((op) => op.vmId === id).map((op) => `${op.action} ${op.status}`)).toEqual([
      'powerOff Succeeded',
      'deallocate Succeeded',
      'start Succeeded',
      'restart Succeeded',
    ]);
  }, 30_000);

  it('asked again after a crash (resumed), answers done without a POST when the VM is already in the action end state', async () => {
    const { target } = addVm('deallocated');
    const mark = sim.requests.length;
    expect(await plugin.act(ctx(), target, { action: 'deallocate', resumed: true })).toEqual({ state: 'done' });
    expect(await plugin.act(ctx(), target, { action: 'stop', resumed: true })).toEqual({ state: 'done' });
    expect(posts(since(mark))).toHaveLength(0);
  });

  it('sends a first request without reading the VM first (the host checked its state)', async () => {
    const { target } = addVm('deallocated');
    const mark = sim.requests.length;
    const progress = await plugin.act(ctx(), target, { action: 'start' });
    if (progress.state !== 'accepted') throw new Error('expected an accepted start');
    await plugin.awaitSettled(ctx(), progress.continuation);
    expect(since(mark).filter((r) => r.method === 'GET' && /instanceview$/i.test(r.path))).toEqual([]);
    expect(posts(since(mark))).toHaveLength(1);
  });

  it('polls at the Retry-After pace: one POST, at most ceil(delay / retryAfter) + 1 status polls', async () => {
    const delayMs = 2500;
    sim.setVmOperationTiming({ delayMs, retryAfterSeconds: 1 });
    const { id, target } = addVm('deallocated');
    const mark = sim.requests.length;
    const startedAt = Date.now();
    const progress = await plugin.act(ctx(), target, { action: 'start' });
    if (progress.state !== 'accepted') throw new Error('expected an accepted start');
    await plugin.awaitSettled(ctx(), progress.continuation);
    const requests = since(mark);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(delayMs);
    expect(posts(requests).map((r) => `${r.method} ${r.path.split('/').pop()} ${r.status}`)).toEqual(['POST start 202']);
    const polls = statusPolls(requests);
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls.length).toBeLessThanOrEqual(Math.ceil(delayMs / 1000) + 1);
    // A POST's poller GETs the Location URL once when the status says Succeeded.
    expect(locationGets(requests).length).toBeLessThanOrEqual(1);
    expect(await powerOf(id)).toBe('running');
  }, 20_000);

  it('resumes from a stored continuation in a fresh plugin (after a crash) with polls only, no second POST', async () => {
    const { id, target } = addVm();
    const mark = sim.requests.length;
    const progress = await new AzureProviderPlugin().act(ctx(), target, { action: 'deallocate' });
    if (progress.state !== 'accepted') throw new Error('expected an accepted deallocate');
    const stored = JSON.parse(JSON.stringify(progress.continuation)) as string;
    expect(decodeAzureContinuation(stored)).toMatchObject({ client: 'compute', request: 'deallocate', subscriptionId: sim.subscriptionIds[0].toLowerCase() });

    await new AzureProviderPlugin().awaitSettled(ctx(), stored);
    const requests = since(mark);
    expect(posts(requests)).toHaveLength(1);
    expect(statusPolls(requests).length).toBeGreaterThanOrEqual(1);
    expect(await powerOf(id)).toBe('deallocated');
  }, 20_000);

  it("turns an async failure into a ProviderError with Azure's code and message", async () => {
    const { id, target } = addVm('deallocated');
    sim.failVmOperations({ vmId: id, action: 'start', times: 1 });
    const progress = await plugin.act(ctx(), target, { action: 'start' });
    if (progress.state !== 'accepted') throw new Error('expected an accepted start');
    const error = await failure(plugin.awaitSettled(ctx(), progress.continuation));
    expect(error.code).toBe(ProviderErrorCode.Temporary);
    expect(error.message).toContain('AllocationFailed');
    expect(error.message).toContain('We do not have sufficient capacity for the requested VM size in this region');
    expect(await powerOf(id)).toBe('deallocated');
  }, 20_000);

  it('retries a 429 on the status URL and still settles the action', async () => {
    const { id, target } = addVm();
    const progress = await plugin.act(ctx(), target, { action: 'stop' });
    if (progress.state !== 'accepted') throw new Error('expected an accepted stop');
    const mark = sim.requests.length;
    sim.injectFault({ route: 'operations', kind: 'throttle', retryAfterSeconds: 0, times: 1 });
    await plugin.awaitSettled(ctx(), progress.continuation);
    const polls = statusPolls(since(mark));
    expect(polls[0].status).toBe(429);
    expect(polls.at(-1)?.status).toBe(200);
    expect(await powerOf(id)).toBe('stopped');
  }, 20_000);

  it('stops waiting when the signal aborts, with a Timeout error that says so', async () => {
    sim.setVmOperationTiming({ delayMs: 10_000, retryAfterSeconds: 1 });
    const { target } = addVm();
    const progress = await plugin.act(ctx(), target, { action: 'restart' });
    if (progress.state !== 'accepted') throw new Error('expected an accepted restart');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const error = await failure(plugin.awaitSettled(ctx(abort.signal), progress.continuation));
    expect(error.code).toBe(ProviderErrorCode.Timeout);
    expect(error.message).toMatch(/was stopped before Azure settled it/);
  }, 20_000);

  it('deletes a VM but keeps its Detach disk and NIC, refuses them while attached, then deletes them', async () => {
    const { id, target } = addVm();
    const owned = sim.vmResources(id);
    const [osDisk] = owned.disks;
    const [nic] = owned.nics;
    const [publicIp] = owned.publicIps;
    expect([osDisk.deleteOption, nic.deleteOption]).toEqual(['Detach', 'Detach']);

    const refusedNic = await failure(plugin.deleteResource(ctx(), { kind: 'nic', nativeId: nic.id.toLowerCase(), name: 'nic' }));
    expect(refusedNic.message).toMatch(/NicInUse/);
    expect(refusedNic.message).toMatch(/still in use/);
    const refusedDisk = await failure(plugin.deleteResource(ctx(), { kind: 'disk', nativeId: osDisk.id.toLowerCase(), name: 'disk' }));
    expect(refusedDisk.message).toMatch(/OperationNotAllowed.*is attached to VM/);

    await settle(await plugin.deleteResource(ctx(), { kind: 'vm', nativeId: target.nativeId, name: target.name }));
    let graph = await fullInventory();
    expect(graph.vms.map((vm) => vm.nativeId)).not.toContain(target.nativeId);
    expect(graph.disks.find((d) => d.nativeId === osDisk.id.toLowerCase())).toMatchObject({ vmNativeId: null });
    expect(graph.nics.find((n) => n.nativeId === nic.id.toLowerCase())).toMatchObject({ vmNativeId: null });

    for (const ref of [
      { kind: 'disk', nativeId: osDisk.id.toLowerCase(), name: 'disk' },
      { kind: 'nic', nativeId: nic.id.toLowerCase(), name: 'nic' },
      { kind: 'publicIp', nativeId: publicIp.toLowerCase(), name: 'pip' },
    ] as const) {
      const progress = await plugin.deleteResource(ctx(), ref);
      expect([ref.kind, progress.state]).toEqual([ref.kind, 'accepted']);
      if (progress.state === 'accepted') expect(decodeAzureContinuation(progress.continuation).client).toBe(ref.kind === 'disk' ? 'compute' : 'network');
      await settle(progress);
    }
    graph = await fullInventory();
    expect(graph.disks.map((d) => d.nativeId)).not.toContain(osDisk.id.toLowerCase());
    expect(graph.nics.map((n) => n.nativeId)).not.toContain(nic.id.toLowerCase());
    expect(sim.hasResource('publicIp', publicIp)).toBe(false);

    // Gone already: ARM answers 204, and that is done.
    expect(await plugin.deleteResource(ctx(), { kind: 'disk', nativeId: osDisk.id.toLowerCase(), name: 'disk' })).toEqual({ state: 'done' });
    expect(await plugin.deleteResource(ctx(), { kind: 'vm', nativeId: target.nativeId, name: target.name })).toEqual({ state: 'done' });
  }, 60_000);

  async function settle(progress: Awaited<ReturnType<AzureProviderPlugin['deleteResource']>>): Promise<void> {
    if (progress.state === 'accepted') await plugin.awaitSettled(ctx(), progress.continuation);
  }
});
