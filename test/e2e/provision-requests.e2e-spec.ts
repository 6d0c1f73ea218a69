import { AzureSimulator, HyperVHostSimulator, SIM_LIBRARY_PATH } from '@hybridforms/testing';
import { RunProvisionRequest } from '@hybridforms/provisioning';
import { createScratchDatabase } from '../support/postgres.js';
import { azureProviderRequest, hypervProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';

type Source = { ref: string; kind: string; name: string; osFamily: string; osVersion: string | null; licenseModel: string | null; plan: unknown; providerId: string };
type ProvisionRequest = { id: string; status: string; names: string[]; vcpus: number; decidedBy: string | null; reason: string | null; requestedBy: string };

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example';
const LOCATION = 'eastus';
const ON_DEMAND = `marketplace:${LOCATION}:RedHat:RHEL:9-lvm-gen2`;
const CLOUD_ACCESS = `marketplace:${LOCATION}:RedHat:rhel-byos:rhel-lvm9`;

describe.each([['sqlite'], ['postgresql']])('provision requests end to end on %s (sources, checks, approval, quotas, cancel)', (driver) => {
  let sim: AzureSimulator;
  let host: HyperVHostSimulator;
  let hypervId: string;
  let t: TestApp;
  let azureId: string;
  let subnetId: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  let operator: string;
  let viewer: string;

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const request = (overrides: Record<string, unknown> = {}) => ({
    provider: azureId,
    source: ON_DEMAND,
    name: 'web-1',
    size: { vmSize: 'Standard_D2s_v3' },
    placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId, publicIp: true },
    admin: { username: 'cloud-user', sshPublicKey: KEY },
    ...overrides,
  });

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 0 });
    const sub = sim.subscriptionIds[0];
    subnetId = sim.addSubnet(sub, 'rg-net', 'vnet-prod');
    sim.addVm(sub, { name: 'taken-1', resourceGroup: 'rg-old', location: LOCATION, guestOsName: 'redhat', guestOsVersion: '9.4' });
    sim.addVm(sub, {
      name: 'from-gold',
      resourceGroup: 'rg-old',
      location: LOCATION,
      imageReference: { id: `/subscriptions/${sub}/resourceGroups/rg-images/providers/Microsoft.Compute/images/rhel9-gold` },
      guestOsName: 'redhat',
      guestOsVersion: '9.2',
    });
    host = await HyperVHostSimulator.start({ vmCount: 0, templateVm: true });
    host.addVm({ name: 'hv-taken', state: 'Running' });
    host.addFolder('D:\\VMs');
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_provision') : null;
    t = await startTestApp({ ...QUIET_TELEMETRY, HYBRIDFORMS_PROVISION_MAX_ACTIVE_PER_TOKEN: '4', ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const azureRequest = azureProviderRequest(sim, 'azure-provision');
    const azure = await t
      .http()
      .post('/api/v1/providers')
      .send({ ...azureRequest, config: { ...azureRequest.config, locations: [LOCATION] } })
      .expect(201);
    azureId = azure.body.id;
    await waitForRefresh(t, azure.body.refreshId);
    const hvRequest = hypervProviderRequest(host, 'hv-provision');
    const hyperv = await t
      .http()
      .post('/api/v1/providers')
      .send({ ...hvRequest, config: { ...hvRequest.config, hosts: hvRequest.config.hosts.map((entry) => ({ ...entry, libraryPaths: [SIM_LIBRARY_PATH] })) } })
      .expect(201);
    hypervId = hyperv.body.id;
    await waitForRefresh(t, hyperv.body.refreshId);
    operator = (await t.http().post('/api/v1/tokens').send({ name: 'provision-operator', role: 'operator' }).expect(201)).body.token;
    viewer = (await t.http().post('/api/v1/tokens').send({ name: 'provision-viewer', role: 'viewer' }).expect(201)).body.token;
  });
  afterAll(async () => {
    // The approved requests run: let their tasks end before the app closes (it would hand them back after a grace).
    await t?.app.get(RunProvisionRequest).idle();
    await t?.close();
    await scratch?.drop();
    await sim?.stop();
    await host?.stop();
  }, 120_000);

  it('lists On-Demand, Cloud Access and custom-image sources, classified as the VMs made from them would be', async () => {
    const { items, errors } = (await t.http().get(`/api/v1/provisioning/sources?provider=${azureId}`).expect(200)).body as { items: Source[]; errors: unknown[] };
    expect(errors).toEqual([]);
    expect(items.find((s) => s.ref === ON_DEMAND)).toMatchObject({ kind: 'marketplace', osFamily: 'rhel', osVersion: '9', licenseModel: 'payg', plan: null, providerId: azureId });
    expect(items.find((s) => s.ref === CLOUD_ACCESS)).toMatchObject({ kind: 'marketplace', osFamily: 'rhel', licenseModel: 'byos', plan: { publisher: 'redhat', product: 'rhel-byos', name: 'rhel-lvm9' } });
    const gold = items.find((s) => s.kind === 'custom-image');
    expect(gold).toMatchObject({ name: 'rhel9-gold', osFamily: 'rhel', osVersion: '9.2', licenseModel: 'byos', details: { osFrom: 'the 1 VM(s) made from it' } });
    expect(gold!.ref.toLowerCase()).toContain('/providers/microsoft.compute/images/rhel9-gold');

    const byos = (await t.http().get(`/api/v1/provisioning/sources?provider=${azureId}&licenseModel=byos&osVersion=9`).expect(200)).body.items as Source[];
    expect(byos.length).toBeGreaterThan(0);
    expect(byos.every((s) => s.licenseModel === 'byos' && (s.osVersion === '9' || s.osVersion?.startsWith('9.')))).toBe(true);
    await t.http().get('/api/v1/provisioning/sources?osFamily=solaris').expect(400);
  });

  it("keeps listing the inventory's custom images while Azure's image listing fails, and says why the marketplace ones are missing", async () => {
    sim.injectFault({ route: 'vmImageOffers', kind: 'error', status: 503, times: Infinity });
    try {
      const { items, errors } = (await t.http().get(`/api/v1/provisioning/sources?provider=${azureId}`).expect(200)).body as {
        items: Source[];
        errors: { providerId: string; error: string }[];
      };
      expect(items.map((s) => s.kind)).toEqual(['custom-image']);
      expect(items[0].name).toBe('rhel9-gold');
      expect(errors).toEqual([expect.objectContaining({ providerId: azureId, error: expect.stringMatching(/listing RHEL images in eastus/) })]);
      // A marketplace source cannot be confirmed now: a 502 with the cause (not the request's fault), nothing stored.
      const before = (await t.http().get('/api/v1/provision-requests').expect(200)).body.items.length;
      const refused = await t.http().post('/api/v1/provision-requests').send(request({ name: 'web-during-outage' }));
      expect(refused.status).toBe(502);
      expect(refused.body.message).toMatch(/listing RHEL images in eastus/);
      expect((await t.http().get('/api/v1/provision-requests').expect(200)).body.items.length).toBe(before);
    } finally {
      sim.clearFaults();
    }
  });

  it('refuses a bad request with every problem listed, and stores nothing', async () => {
    const before = (await t.http().get('/api/v1/provision-requests').expect(200)).body.items.length;
    const res = await t
      .http()
      .post('/api/v1/provision-requests')
      .send(request({ name: undefined, namePattern: 'taken-{n}', count: 2, size: { vmSize: 'Standard_Nope_v9' }, admin: { username: 'cloud-user', sshPublicKey: 'not a key', password: 'hunter2' } }))
      .expect(400);
    const problems: string[] = res.body.message;
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^admin\.password: not accepted/), expect.stringMatching(/^admin\.sshPublicKey:/)]));
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    expect(JSON.stringify(res.body)).not.toContain(sim.clientSecret);

    // The shape is right: what the inventory and the provider say is listed together.
    const live = await t.http().post('/api/v1/provision-requests').send(request({ name: undefined, namePattern: 'taken-{n}', count: 2, size: { vmSize: 'Standard_Nope_v9' } })).expect(400);
    expect(live.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^name: .*taken-1/), expect.stringMatching(/^size\.vmSize: /)]));

    const wrongSource = await t.http().post('/api/v1/provision-requests').send(request({ source: 'marketplace:eastus:RedHat:RHEL:nope' })).expect(400);
    expect(wrongSource.body.message).toMatch(/^source: .* is not a source of provider azure-provision/);
    const badSubnet = await t.http().post('/api/v1/provision-requests').send(request({ placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId: `${subnetId}-missing` } })).expect(400);
    expect(JSON.stringify(badSubnet.body.message)).toMatch(/placement\.subnetId: /);
    expect((await t.http().get('/api/v1/provision-requests').expect(200)).body.items.length).toBe(before);
  });

  it('refuses a Cloud Access image whose terms are not accepted, saying how to accept them, and takes it once they are', async () => {
    sim.setMarketplaceTerms({ publisher: 'redhat', offer: 'rhel-byos', plan: 'rhel-lvm9' }, false);
    const refused = await t.http().post('/api/v1/provision-requests').send(request({ source: CLOUD_ACCESS, name: 'byos-1' })).expect(400);
    expect(JSON.stringify(refused.body.message)).toMatch(/az vm image terms accept --publisher redhat --offer rhel-byos --plan rhel-lvm9/);
    const payg = await t.http().post('/api/v1/provision-requests').send(request({ source: CLOUD_ACCESS, name: 'byos-1', licenseModel: 'payg' })).expect(400);
    expect(JSON.stringify(payg.body.message)).toMatch(/licenseModel: .*Cloud Access/);

    sim.setMarketplaceTerms({ publisher: 'redhat', offer: 'rhel-byos', plan: 'rhel-lvm9' }, true);
    const taken = await t.http().post('/api/v1/provision-requests').send(request({ source: CLOUD_ACCESS, name: 'byos-1' })).expect(201);
    // Approved by the policy, and started at once.
    expect(taken.body).toMatchObject({ status: 'running', decidedBy: 'policy', names: ['byos-1'], source: { ref: CLOUD_ACCESS, licenseModel: 'byos' } });
    await t.http().post(`/api/v1/provision-requests/${taken.body.id}/cancel`).expect(200);
  });

  it('approves a small request by policy and leaves a bigger one to an admin, who approves or denies it once', async () => {
    const small = (await t.http().post('/api/v1/provision-requests').set(as(operator)).send(request({ name: 'small-1' })).expect(201)).body as ProvisionRequest;
    expect(small).toMatchObject({ status: 'running', decidedBy: 'policy', requestedBy: 'provision-operator', vcpus: 2 });
    expect(small.reason).toMatch(/^policy: 1 VM\(s\) of Standard_D2s_v3/);

    const big = (await t.http().post('/api/v1/provision-requests').set(as(operator)).send(request({ name: undefined, namePattern: 'app-{n}', count: 4 })).expect(201)).body as ProvisionRequest;
    expect(big).toMatchObject({ status: 'pending_approval', decidedBy: null, names: ['app-1', 'app-2', 'app-3', 'app-4'], vcpus: 8 });
    await t.anonymous().post(`/api/v1/provision-requests/${big.id}/approve`).set(as(operator)).expect(403);
    await t.anonymous().post(`/api/v1/provision-requests`).set(as(viewer)).send(request({ name: 'viewer-1' })).expect(403);
    const approved = (await t.http().post(`/api/v1/provision-requests/${big.id}/approve`).expect(200)).body as ProvisionRequest;
    expect(approved.status).toBe('running');
    expect(approved.decidedBy).not.toBe('policy');
    const again = await t.http().post(`/api/v1/provision-requests/${big.id}/approve`).expect(409);
    expect(again.body.message).toMatch(/is running .*only a request pending approval can be approved/);

    const denied = (await t.http().post('/api/v1/provision-requests').set(as(operator)).send(request({ name: undefined, namePattern: 'big-{n}', count: 5 })).expect(201)).body as ProvisionRequest;
    await t.http().post(`/api/v1/provision-requests/${denied.id}/deny`).send({ reason: '  ' }).expect(400);
    const deniedNow = (await t.http().post(`/api/v1/provision-requests/${denied.id}/deny`).send({ reason: 'use the shared pool' }).expect(200)).body as ProvisionRequest;
    expect(deniedNow).toMatchObject({ status: 'denied', reason: 'use the shared pool' });
    await t.http().post(`/api/v1/provision-requests/${denied.id}/approve`).expect(409);

    const pending = (await t.http().get('/api/v1/provision-requests?status=denied&requester=provision-operator').expect(200)).body.items as ProvisionRequest[];
    expect(pending.map((r) => r.id)).toEqual([denied.id]);
    const audit = (await t.http().get('/api/v1/audit?action=provision-request.deny&limit=10').expect(200)).body.items as { targetId: string; outcome: string }[];
    expect(audit.map((entry) => [entry.targetId, entry.outcome])).toEqual(expect.arrayContaining([[denied.id, 'success'], [denied.id, 'failure']]));

    // Quota: four in progress at most per token (HYBRIDFORMS_PROVISION_MAX_ACTIVE_PER_TOKEN=4). Requests
    // waiting for an admin count as in progress (the approved ones above run, and may have ended).
    const quotaToken = (await t.http().post('/api/v1/tokens').send({ name: 'provision-quota', role: 'operator' }).expect(201)).body.token;
    const waiting: ProvisionRequest[] = [];
    for (const n of [1, 2, 3, 4]) {
      waiting.push((await t.http().post('/api/v1/provision-requests').set(as(quotaToken)).send(request({ name: undefined, namePattern: `wait${n}-{n}`, count: 4 })).expect(201)).body);
    }
    expect(waiting.map((r) => r.status)).toEqual(['pending_approval', 'pending_approval', 'pending_approval', 'pending_approval']);
    const over = await t.http().post('/api/v1/provision-requests').set(as(quotaToken)).send(request({ name: 'q-3' })).expect(400);
    expect(over.body.message).toMatch(/^quota: provision-quota has 4 provision request\(s\) pending or running.*provisioning\.maxActivePerToken: 4/);
    await t.http().post(`/api/v1/provision-requests/${waiting[0].id}/cancel`).set(as(quotaToken)).expect(200);
    await t.http().post(`/api/v1/provision-requests/${waiting[0].id}/cancel`).set(as(quotaToken)).expect(409);
    await t.http().post('/api/v1/provision-requests').set(as(quotaToken)).send(request({ name: 'q-3' })).expect(201);
  });

  it('counts vCPUs against the per-request quota and the subscription quota', async () => {
    sim.setCoreQuota(sim.subscriptionIds[0], LOCATION, 10);
    const res = await t.http().post('/api/v1/provision-requests').send(request({ name: undefined, namePattern: 'wide-{n}', count: 8 })).expect(400);
    expect(JSON.stringify(res.body.message)).toMatch(/quota/i);
    sim.setCoreQuota(sim.subscriptionIds[0], LOCATION, 1000);
  });

  it('lists Hyper-V template VHDX files and template VMs, and checks a guest against the live host', async () => {
    const { items } = (await t.http().get(`/api/v1/provisioning/sources?provider=${hypervId}&osFamily=rhel`).expect(200)).body as { items: (Source & { hostNativeId: string })[] };
    const vhd = items.find((s) => s.kind === 'template-vhd' && s.osVersion === '9.4')!;
    expect(vhd).toMatchObject({ name: 'rhel-9.4-gold', licenseModel: 'byos', providerId: hypervId });
    expect(items.some((s) => s.kind === 'template-vm')).toBe(true);
    expect(items.every((s) => s.osFamily === 'rhel')).toBe(true);

    const guest = (overrides: Record<string, unknown> = {}) => ({
      provider: hypervId,
      source: vhd.ref,
      name: 'hv-new-1',
      size: { cpuCount: 2, memoryMB: 2048, generation: 2 },
      placement: { hostNativeId: vhd.hostNativeId, switchName: host.switchNames()[0], vhdFolder: 'D:\\VMs' },
      admin: { username: 'cloud-user', sshPublicKey: KEY },
      ...overrides,
    });
    const refused = await t
      .http()
      .post('/api/v1/provision-requests')
      .send(guest({ name: 'hv-taken', placement: { hostNativeId: vhd.hostNativeId, switchName: 'vSwitch-Nope', vhdFolder: 'D:\\VMs' } }))
      .expect(400);
    expect(refused.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^name: .*hv-taken/), expect.stringMatching(/^placement\.switchName: /)]));
    const taken = (await t.http().post('/api/v1/provision-requests').send(guest()).expect(201)).body as ProvisionRequest;
    expect(taken).toMatchObject({ status: 'running', decidedBy: 'policy', vcpus: 2 });
    const big = (await t.http().post('/api/v1/provision-requests').send(guest({ name: 'hv-new-2', size: { cpuCount: 4, memoryMB: 2048 } })).expect(201)).body as ProvisionRequest;
    expect(big).toMatchObject({ status: 'pending_approval', vcpus: 4 });
  });
});
