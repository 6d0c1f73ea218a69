import { RetirementJobs } from '@hybridforms/operations';
import { RetirementRepository } from '@hybridforms/persistence';
import { AzureSimulator, HyperVHostSimulator } from '@hybridforms/testing';
import { settleOperations } from '../support/operations.js';
import { createScratchDatabase } from '../support/postgres.js';
import { azureProviderRequest, hypervProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';

type Vm = { id: string; nativeId: string; name: string; powerState: string; archivedAt: string | null; archiveReason: string | null };
type Operation = { id: string; kind: string; status: string; requestedBy: string; error: string | null; steps: { name: string; status: string; target: { kind: string; nativeId: string; name: string } | null }[] };
type Change = { field: string; to: unknown; operationId: string | null };

const VHD_DIR = 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks';
const GIB = 1024 ** 3;

describe.each([['sqlite'], ['postgresql']])('VM retirement end to end on %s (dates, warnings, the scheduled job, deletion on Azure and Hyper-V)', (driver) => {
  let sim: AzureSimulator;
  let host: HyperVHostSimulator;
  let t: TestApp;
  let azureId: string;
  let hypervId: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  let operatorToken: string;

  const vmNamed = async (providerId: string, name: string): Promise<Vm> =>
    (await t.http().get(`/api/v1/vms?provider=${providerId}&q=${name}&archived=all`).expect(200)).body.items.find((vm: Vm) => vm.name === name);
  const settle = async (id: string): Promise<Operation> => {
    await settleOperations(t, [azureId, hypervId]);
    return (await t.http().get(`/api/v1/operations/${id}`).expect(200)).body;
  };

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 0, operationDelayMs: 300, operationRetryAfterSeconds: 1 });
    for (const name of ['retire-web', 'retire-db', 'retire-later', 'retire-fails']) {
      sim.addVm(sim.subscriptionIds[0], { name, resourceGroup: 'rg-retire', guestOsName: 'redhat', guestOsVersion: '9.4', publicIp: true, dataDisks: 1 });
    }
    host = await HyperVHostSimulator.start({ vmCount: 0 });
    host.addVhdFile({ path: `${VHD_DIR}\\rhel9-template.vhdx`, vhdType: 'Dynamic', size: 40 * GIB, fileSize: 6 * GIB });
    host.addVm({
      name: 'hv-retire',
      state: 'Running',
      hardDrives: [
        { path: `${VHD_DIR}\\hv-retire.vhdx`, vhdType: 'Differencing', size: 40 * GIB, fileSize: GIB, parentPath: `${VHD_DIR}\\rhel9-template.vhdx` },
        { path: `${VHD_DIR}\\hv-retire-data.vhdx`, vhdType: 'Dynamic', size: 10 * GIB, fileSize: GIB },
      ],
    });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_retire') : null;
    t = await startTestApp({ ...QUIET_TELEMETRY, HYBRIDFORMS_RETIREMENT_CHECK_SECONDS: '3600', ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const azure = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'azure-retire')).expect(201);
    const hyperv = await t.http().post('/api/v1/providers').send(hypervProviderRequest(host, 'hv-retire')).expect(201);
    azureId = azure.body.id;
    hypervId = hyperv.body.id;
    await waitForRefresh(t, azure.body.refreshId);
    await waitForRefresh(t, hyperv.body.refreshId);
    operatorToken = (await t.http().post('/api/v1/tokens').send({ name: 'retire-operator', role: 'operator' }).expect(201)).body.token;
  });
  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await sim?.stop();
    await host?.stop();
  });

  it('retires an Azure VM: stopped, deleted with its NICs, public IP and disks, archived as retired by the refresh it asked for', async () => {
    const vm = await vmNamed(azureId, 'retire-web');
    const simId = sim.vmIds().find((id) => id.toLowerCase() === vm.nativeId)!;
    const owned = sim.vmResources(simId);
    expect(owned.disks.length).toBe(2);
    await t.http().post(`/api/v1/vms/${vm.id}/retire`).send({ confirm: 'not-its-name' }).expect(400);
    await t.anonymous().post(`/api/v1/vms/${vm.id}/retire`).set('authorization', `Bearer ${operatorToken}`).send({ confirm: vm.name }).expect(403);

    const accepted = await t.http().post(`/api/v1/vms/${vm.id}/retire`).send({ confirm: vm.name }).expect(202);
    expect(accepted.body).toMatchObject({ kind: 'vm-retire', action: 'retire', status: 'queued' });
    const operation = await settle(accepted.body.id);
    expect(operation.status).toBe('succeeded');
    const deleted = operation.steps.filter((s) => s.name === 'delete').map((s) => [s.target!.kind, s.status]);
    expect(deleted).toEqual([['vm', 'done'], ['nic', 'done'], ['publicIp', 'done'], ['disk', 'done'], ['disk', 'done']]);

    expect(sim.vmIds().map((id) => id.toLowerCase())).not.toContain(vm.nativeId);
    for (const nic of owned.nics) expect(sim.hasResource('nic', nic.id)).toBe(false);
    for (const ip of owned.publicIps) expect(sim.hasResource('publicIp', ip)).toBe(false);
    for (const disk of owned.disks) expect(sim.hasResource('disk', disk.id)).toBe(false);
    const after = await vmNamed(azureId, 'retire-web');
    expect(after.archivedAt).not.toBeNull();
    expect(after.archiveReason).toBe('retired');
    expect(after.powerState).toBe('stopped');
    const [archived] = (await t.http().get(`/api/v1/vms/${vm.id}/changes?field=archived&limit=1`).expect(200)).body.items as Change[];
    expect([archived.to, archived.operationId]).toEqual([true, operation.id]);
    // Nothing of another VM went with it.
    expect((await vmNamed(azureId, 'retire-db')).archivedAt).toBeNull();
    await t.http().post(`/api/v1/vms/${vm.id}/retire`).send({ confirm: vm.name }).expect(409);
  });

  it('retires a Hyper-V VM: turned off, removed, its own VHDs deleted, never the differencing parent', async () => {
    const vm = await vmNamed(hypervId, 'hv-retire');
    const operation = await settle((await t.http().post(`/api/v1/vms/${vm.id}/retire`).send({ confirm: vm.name }).expect(202)).body.id);
    expect([operation.status, operation.error]).toEqual(['succeeded', null]);
    expect(host.appliedCmdlets(vm.nativeId)).toEqual(expect.arrayContaining([`Stop-VM -TurnOff -Force ${vm.nativeId}`]));
    expect(host.vhdFile(`${VHD_DIR}\\hv-retire.vhdx`)).toBeNull();
    expect(host.vhdFile(`${VHD_DIR}\\hv-retire-data.vhdx`)).toBeNull();
    expect(host.vhdFile(`${VHD_DIR}\\rhel9-template.vhdx`)).not.toBeNull();
    const after = await vmNamed(hypervId, 'hv-retire');
    expect([after.archivedAt !== null, after.archiveReason]).toEqual([true, 'retired']);
  });

  it('keeps a retirement date, warns before it and retires on it, through the scheduled job', async () => {
    const vm = await vmNamed(azureId, 'retire-later');
    await t.http().patch(`/api/v1/vms/${vm.id}`).send({ retiresAt: '2020-01-01T00:00:00Z' }).expect(400);
    await t.http().patch(`/api/v1/vms/${vm.id}`).send({ retiresAt: 'tomorrow' }).expect(400);
    await t.anonymous().patch(`/api/v1/vms/${vm.id}`).set('authorization', `Bearer ${operatorToken}`).send({ retiresAt: '2099-01-01T00:00:00Z' }).expect(403);
    const inTwoDays = new Date(Date.now() + 2 * 24 * 3600 * 1000).toISOString();
    const set = await t.http().patch(`/api/v1/vms/${vm.id}`).send({ retiresAt: inTwoDays }).expect(200);
    expect(set.body).toMatchObject({ id: vm.id, warnedAt: null, setBy: 'env-admin' });
    expect((await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body.retirement).toMatchObject({ retiresAt: inTwoDays, warnedAt: null });

    const jobs = t.app.get(RetirementJobs);
    await jobs.check();
    await jobs.check();
    const warnings = (await t.http().get(`/api/v1/vms/${vm.id}/events?type=vm.retirement_warning`).expect(200)).body.items;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'vm.retirement_warning', vmId: vm.id });
    expect((await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body.retirement.warnedAt).not.toBeNull();
    expect((await vmNamed(azureId, 'retire-later')).archivedAt).toBeNull();

    // The date comes (moved into the past in the store: the API refuses past dates).
    await t.app.get(RetirementRepository).set(vm.id, new Date(Date.now() - 1000), 'test', new Date());
    await jobs.check();
    const [operation] = (await t.http().get(`/api/v1/operations?vm=${vm.id}&kind=vm-retire`).expect(200)).body.items as Operation[];
    expect(operation.requestedBy).toBe('scheduler');
    expect((await settle(operation.id)).status).toBe('succeeded');
    expect((await vmNamed(azureId, 'retire-later')).archiveReason).toBe('retired');
    await jobs.check();
    expect((await t.http().get(`/api/v1/operations?vm=${vm.id}&kind=vm-retire`).expect(200)).body.items).toHaveLength(1);
  });

  it('takes a retirement that failed half-way up again where it stopped, and says what is left', async () => {
    const vm = await vmNamed(azureId, 'retire-fails');
    const simId = sim.vmIds().find((id) => id.toLowerCase() === vm.nativeId)!;
    sim.failVmOperations({ vmId: simId, action: 'delete', times: 1, error: { code: 'InternalExecutionError', message: 'An internal execution error occurred.' } });
    const first = await settle((await t.http().post(`/api/v1/vms/${vm.id}/retire`).send({ confirm: vm.name }).expect(202)).body.id);
    expect(first.status).toBe('failed');
    expect(first.error).toContain('InternalExecutionError');
    expect(first.steps.map((s) => [s.name, s.target?.kind ?? null, s.status])).toEqual([
      ['inventory', null, 'done'],
      ['stop', null, 'done'],
      ['delete', 'vm', 'failed'],
      ['delete', 'nic', 'pending'],
      ['delete', 'publicIp', 'pending'],
      ['delete', 'disk', 'pending'],
      ['delete', 'disk', 'pending'],
      ['refresh', null, 'done'],
    ]);
    expect((await vmNamed(azureId, 'retire-fails')).archivedAt).toBeNull();
    const powerOffs = () => sim.requests.filter((r) => r.method === 'POST' && r.vmAction === 'powerOff' && r.path.toLowerCase().startsWith(vm.nativeId)).length;
    expect(powerOffs()).toBe(1);

    const again = await t.anonymous().post(`/api/v1/operations/${first.id}/resume`).set('authorization', `Bearer ${operatorToken}`).expect(202);
    expect(again.body.id).toBe(first.id);
    const resumed = await settle(first.id);
    expect(resumed.status).toBe('succeeded');
    expect(powerOffs()).toBe(1);
    expect((await vmNamed(azureId, 'retire-fails')).archiveReason).toBe('retired');
    await t.http().post(`/api/v1/operations/${first.id}/resume`).expect(409);
  });
});
