import { AzureSimulator, HyperVHostSimulator } from '@hybridforms/testing';
import { azureProviderRequest, hypervProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

type Vm = { id: string; providerId: string; nativeId: string; osFamily: string; osSource: string | null; licenseModel: string | null; archivedAt: string | null };

/** Hyper-V guests beside Azure VMs, through the same API and the same filters. */
describe('Hyper-V inventory end to end (SSH simulator → node-ssh → plugin → persister → HTTP)', () => {
  let azure: AzureSimulator;
  let hyperv: HyperVHostSimulator;
  let t: TestApp;
  let azureId: string;
  let hypervId: string;

  const vms = async (query: string): Promise<Vm[]> => (await t.http().get(`/api/v1/vms?limit=500&${query}`).expect(200)).body.items;
  const refresh = async (providerId: string) => waitForRefresh(t, (await t.http().post(`/api/v1/providers/${providerId}/refresh`).expect(202)).body.id);

  beforeAll(async () => {
    azure = await AzureSimulator.start({ vmCount: 20 });
    hyperv = await HyperVHostSimulator.start({ vmCount: 16 });
    t = await startTestApp();
    const a = await t.http().post('/api/v1/providers').send(azureProviderRequest(azure, 'azure')).expect(201);
    azureId = a.body.id;
    await waitForRefresh(t, a.body.refreshId);
  });
  afterAll(async () => {
    await t?.close();
    await hyperv?.stop();
    await azure?.stop();
  });

  it('refuses a Hyper-V provider whose host key does not match the pin, storing nothing', async () => {
    const body = hypervProviderRequest(hyperv, 'hv');
    body.config.hosts[0].hostKeyFingerprint = 'SHA256:' + 'A'.repeat(43);
    const res = await t.http().post('/api/v1/providers').send(body).expect(400);
    expect(res.body.message).toMatch(/host key/);
    const unpinned = hypervProviderRequest(hyperv, 'hv');
    delete (unpinned.config.hosts[0] as { hostKeyFingerprint?: string }).hostKeyFingerprint;
    const shape = await t.http().post('/api/v1/providers').send(unpinned).expect(400);
    expect(JSON.stringify(shape.body.message)).toMatch(/skipHostKeyCheck/);
    expect((await t.http().get('/api/v1/providers').expect(200)).body.items).toHaveLength(1);
  });

  it('lists RHEL guests of both clouds with one filter', async () => {
    const res = await t.http().post('/api/v1/providers').send(hypervProviderRequest(hyperv, 'hv')).expect(201);
    hypervId = res.body.id;
    expect((await waitForRefresh(t, res.body.refreshId)).status).toBe('completed');
    const rhel = await vms('osFamily=rhel');
    const byProvider = new Set(rhel.map((vm) => vm.providerId));
    expect(byProvider).toEqual(new Set([azureId, hypervId]));
    const hvRhel = rhel.filter((vm) => vm.providerId === hypervId);
    expect(hvRhel.every((vm) => vm.osSource === 'kvp' && vm.licenseModel === 'byos')).toBe(true);
    const all = await vms(`provider=${hypervId}`);
    expect(all).toHaveLength(16);
    const hosts = (await t.http().get(`/api/v1/hosts?provider=${hypervId}`).expect(200)).body.items;
    expect(hosts).toHaveLength(1);
    const detail = (await t.http().get(`/api/v1/vms/${hvRhel[0].id}`).expect(200)).body;
    expect(detail.host.id).toBe(hosts[0].id);
    expect(detail.details).toMatchObject({ generation: expect.any(Number), configurationVersion: expect.any(String) });
    expect(detail.details.integrationServices).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Key-Value Pair Exchange', enabled: true })]));
  });

  it.each([
    ['truncated-json', /malformed/],
    ['error-record', /inventory script/],
    ['disconnect', /inventory script/],
    ['auth', /invalid_credentials/],
    ['hang', /timeout/],
  ] as const)('fails a refresh on a %s fault with the reason, archiving nothing', async (kind, reason) => {
    const before = await vms(`provider=${hypervId}&archived=all`);
    hyperv.injectFault({ kind });
    const failed = await refresh(hypervId);
    hyperv.clearFaults();
    expect(failed.status).toBe('failed');
    expect(JSON.stringify(failed.errors)).toMatch(reason);
    expect(JSON.stringify(failed.errors)).not.toContain(hyperv.password);
    const after = await vms(`provider=${hypervId}&archived=all`);
    expect(after.map((vm) => `${vm.id}:${vm.archivedAt}`).sort()).toEqual(before.map((vm) => `${vm.id}:${vm.archivedAt}`).sort());
  }, 30_000);

  it('archives a VM removed on the host at the next completed refresh', async () => {
    const gone = hyperv.vmIds()[0];
    hyperv.removeVm(gone);
    expect((await refresh(hypervId)).status).toBe('completed');
    const archived = await vms(`provider=${hypervId}&archived=true`);
    expect(archived.map((vm) => vm.nativeId)).toEqual([gone.toLowerCase()]);
    expect(await vms(`provider=${hypervId}`)).toHaveLength(15);
  });
});
