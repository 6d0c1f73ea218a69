import { EventCatcher, RefreshService } from '@hybridforms/discovery';
import { EventRepository } from '@hybridforms/persistence';
import { AzureSimulator } from '@hybridforms/testing';
import { azureProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { QUIET_TELEMETRY, refreshFromEvents } from '../support/telemetry.js';

type Vm = { nativeId: string; powerState: string };
type Refresh = { id: string; kind: string; targets: string[] | null; status: string };

// A provider runs one refresh at a time: event targets wait while a full refresh runs, and the
// full refresh takes away only those it saw, the ones requested before it started.

describe('Refresh targets around a full refresh (sqlite, Azure simulator)', () => {
  let sim: AzureSimulator;
  let t: TestApp;
  let providerId: string;

  const vms = async (query = ''): Promise<Vm[]> => (await t.http().get(`/api/v1/vms?limit=500&${query}`).expect(200)).body.items;
  const refreshes = async (): Promise<Refresh[]> => (await t.http().get(`/api/v1/refreshes?provider=${providerId}&limit=500`).expect(200)).body.items;
  const waiting = async () => (await t.app.get(EventRepository).refreshTargets(providerId)).nativeIds.sort();
  const simIdOf = (nativeId: string) => sim.vmIds().find((id) => id.toLowerCase() === nativeId)!;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 16 });
    t = await startTestApp({ ...QUIET_TELEMETRY });
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'azure-targets')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    // The simulator's log starts with some history: take it in and let its refresh finish.
    await t.app.get(EventCatcher).poll(providerId);
    await refreshFromEvents(t, providerId);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('clears the targets a full refresh started after, and refreshes those requested while it ran', async () => {
    const [before, during] = (await vms('powerState=running')).slice(0, 2);
    sim.setPowerState(simIdOf(before.nativeId), 'deallocated');
    await t.app.get(EventCatcher).poll(providerId);
    expect(await waiting()).toEqual([before.nativeId]);
    const earlier = await refreshes();

    // Slowed down, so that an event comes while it runs.
    sim.injectFault({ route: 'virtualMachines', kind: 'slow', delayMs: 1500, times: 1 });
    const full = (await t.http().post(`/api/v1/providers/${providerId}/refresh`).expect(202)).body as { id: string };
    for (let deadline = Date.now() + 10_000; (await t.http().get(`/api/v1/refreshes/${full.id}`).expect(200)).body.status === 'queued'; ) {
      if (Date.now() > deadline) throw new Error('the full refresh never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    sim.setPowerState(simIdOf(during.nativeId), 'deallocated');
    await t.app.get(EventCatcher).poll(providerId);
    // A refresh is active: the targets wait for it rather than run beside it.
    expect(await refreshFromEvents(t, providerId)).toBeNull();
    expect(await waitForRefresh(t, full.id)).toMatchObject({ kind: 'full', status: 'completed' });
    await t.app.get(RefreshService).idle();

    expect(await waiting()).toEqual([during.nativeId]);
    await refreshFromEvents(t, providerId);
    const added = (await refreshes()).filter((r) => !earlier.some((old) => old.id === r.id) && r.id !== full.id);
    expect(added.map((r) => [r.kind, r.targets, r.status])).toEqual([['targeted', [during.nativeId], 'completed']]);
    expect(await waiting()).toEqual([]);
    const states = new Map((await vms()).map((vm) => [vm.nativeId, vm.powerState]));
    expect([states.get(before.nativeId), states.get(during.nativeId)]).toEqual(['deallocated', 'deallocated']);
  });
});
