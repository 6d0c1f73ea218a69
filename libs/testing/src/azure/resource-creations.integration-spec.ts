/* eslint-disable @typescript-eslint/no-explicit-any -- the error cases patch raw request bodies freely */
import { request } from 'node:https';
import type { VirtualMachine } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { AzureSimulator } from './azure-simulator.js';
import type { SimRequest } from './azure-simulator.types.js';
import { clientOptions, collect, compute, credential, powerState } from './sim-sdk.fixture.js';

// The creates provisioning makes (public IP, NIC, VM) and the marketplace terms, driven by the real
// arm-network 36 and arm-compute 24 SDKs, whose pollers follow Azure-AsyncOperation at the pace
// of Retry-After. @azure/arm-marketplaceordering is not installed: the agreements go over raw HTTPS.

const DELAY_MS = 1200;
const RETRY_AFTER_S = 1;
const RG = 'rg-provision';
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGsimulatedkeyforprovisioningtests ops@hybridforms';

interface RawResponse {
  status: number;
  body: { error?: { code: string; message: string; target?: string }; [key: string]: unknown } | null;
  headers: Record<string, string | string[] | undefined>;
}

describe('creates on the simulator (public IP, NIC, VM), with the real SDKs', () => {
  let sim: AzureSimulator;
  let bearer: string;
  let subnetId: string;
  let seq = 0;
  const sub = () => sim.subscriptionIds[0];

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 2, operationDelayMs: DELAY_MS, operationRetryAfterSeconds: RETRY_AFTER_S });
    bearer = (await credential(sim).getToken('https://management.azure.com/.default')).token;
    subnetId = sim.addSubnet(sub(), RG, 'vnet-provision', 'workloads');
  });

  afterAll(async () => {
    await sim.stop();
  });

  beforeEach(() => {
    sim.clearRequests();
    sim.clearFaults();
  });

  function network(): NetworkManagementClient {
    return new NetworkManagementClient(credential(sim), sub(), clientOptions(sim));
  }

  function path(provider: string, name: string): string {
    return `/subscriptions/${sub()}/resourceGroups/${RG}/providers/${provider}/${name}`;
  }

  async function raw(method: string, url: string, body?: unknown): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
      if (payload) headers['content-type'] = 'application/json';
      const req = request(`${sim.url}${url}`, { method, ca: sim.caCertificate, headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A NIC (with a public IP) through arm-network; returns its id. */
  async function nicFor(name: string): Promise<string> {
    const pip = await network().publicIPAddresses.beginCreateOrUpdateAndWait(RG, `${name}-ip`, {
      location: 'eastus',
      sku: { name: 'Standard' },
      publicIPAllocationMethod: 'Static',
    });
    const nic = await network().networkInterfaces.beginCreateOrUpdateAndWait(RG, `${name}-nic`, {
      location: 'eastus',
      ipConfigurations: [{ name: 'ipconfig1', subnet: { id: subnetId }, publicIPAddress: { id: pip.id } }],
    });
    return nic.id!;
  }

  function vmParameters(nicId: string, patch: Partial<VirtualMachine> = {}): VirtualMachine {
    return {
      location: 'eastus',
      tags: { 'hybridforms-request': 'req-1' },
      hardwareProfile: { vmSize: 'Standard_D2s_v5' },
      storageProfile: {
        imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' },
        osDisk: { createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' }, deleteOption: 'Delete' },
      },
      osProfile: {
        computerName: 'rhel-host',
        adminUsername: 'cloud-user',
        customData: Buffer.from('#cloud-config\npackages: [insights-client]\n').toString('base64'),
        linuxConfiguration: { disablePasswordAuthentication: true, ssh: { publicKeys: [{ path: '/home/cloud-user/.ssh/authorized_keys', keyData: SSH_KEY }] } },
      },
      networkProfile: { networkInterfaces: [{ id: nicId, primary: true, deleteOption: 'Delete' }] },
      ...patch,
    };
  }

  /** The raw wire body of a VM PUT (what the SDK serializes), for the error cases. */
  function vmWire(nicId: string, patch: (body: Record<string, any>) => void = () => undefined): Record<string, unknown> {
    const body: Record<string, any> = {
      location: 'eastus',
      properties: {
        hardwareProfile: { vmSize: 'Standard_D2s_v5' },
        storageProfile: { imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' }, osDisk: { createOption: 'FromImage' } },
        osProfile: { computerName: 'h', adminUsername: 'cloud-user', linuxConfiguration: { disablePasswordAuthentication: true, ssh: { publicKeys: [{ keyData: SSH_KEY }] } } },
        networkProfile: { networkInterfaces: [{ id: nicId, properties: { deleteOption: 'Delete' } }] },
      },
    };
    patch(body);
    return body;
  }

  const creations = (requests: SimRequest[], kind: SimRequest['creation']) => requests.filter((r) => r.creation === kind);

  it('creates a public IP, a NIC and a RHEL VM that boots, is listed running with its guest, and owns its disk and NIC', async () => {
    const name = `vm-prov-${++seq}`;
    const nicId = await nicFor(name);
    const nic = await network().networkInterfaces.get(RG, `${name}-nic`);
    expect(nic.provisioningState).toBe('Succeeded');
    expect(nic.ipConfigurations?.[0].subnet?.id).toBe(subnetId);
    const pip = await network().publicIPAddresses.get(RG, `${name}-ip`);
    expect(pip.provisioningState).toBe('Succeeded');
    expect(pip.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    sim.clearRequests();

    const poller = await compute(sim).virtualMachines.beginCreateOrUpdate(RG, name, vmParameters(nicId));
    const creating = (await compute(sim).virtualMachines.get(RG, name, { expand: 'instanceView' })) as VirtualMachine;
    expect(creating.provisioningState).toBe('Creating');
    expect(powerState(creating)).toBe('PowerState/starting');
    expect(creating.instanceView?.osName).toBeUndefined();
    const vm = await poller.pollUntilDone();
    expect(vm.provisioningState).toBe('Succeeded');

    const listed = (await collect(compute(sim).virtualMachines.listAll({ statusOnly: 'true' }))).find((v) => v.name === name)!;
    expect(powerState(listed)).toBe('PowerState/running');
    expect(listed.instanceView).toMatchObject({ osName: 'redhat', osVersion: '9.4', vmAgent: { vmAgentVersion: '2.15.1.3' } });
    const inGroup = await collect(compute(sim).virtualMachines.list(RG));
    expect(inGroup.find((v) => v.name === name)).toMatchObject({
      hardwareProfile: { vmSize: 'Standard_D2s_v5' },
      tags: { 'hybridforms-request': 'req-1' },
      osProfile: { adminUsername: 'cloud-user', linuxConfiguration: { ssh: { publicKeys: [{ keyData: SSH_KEY }] } } },
    });
    const resources = sim.vmResources(vm.id!);
    expect(resources.nics).toEqual([{ id: nicId, deleteOption: 'Delete' }]);
    expect(resources.disks).toHaveLength(1);
    expect(sim.hasResource('disk', resources.disks[0].id)).toBe(true);
    expect((await network().networkInterfaces.get(RG, `${name}-nic`)).virtualMachine?.id).toBe(vm.id);

    const writes = sim.activityLogEvents().filter((e) => (e.resourceId as string) === vm.id && (e.operationName as { value: string }).value === 'Microsoft.Compute/virtualMachines/write');
    expect(writes.map((e) => (e.status as { value: string }).value).sort()).toEqual(['Started', 'Succeeded']);
    expect(new Set(writes.map((e) => e.correlationId)).size).toBe(1);

    // One PUT (201), then polls of its status URL at most one per Retry-After.
    const vmRequests = creations(sim.requests, 'vm');
    expect(vmRequests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([201]);
    const polls = vmRequests.filter((r) => r.method === 'GET');
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(polls.length).toBeLessThanOrEqual(Math.ceil(DELAY_MS / (RETRY_AFTER_S * 1000)) + 1);
    expect(polls.every((r) => r.route === 'operations')).toBe(true);
  });

  it('answers the PUT as ARM does: 201, Creating, Azure-AsyncOperation with Retry-After, then the status URL Succeeded', async () => {
    const name = `vm-prov-${++seq}`;
    const nicId = await nicFor(name);
    const put = await raw('PUT', `${path('Microsoft.Compute/virtualMachines', name)}?api-version=2026-03-01`, vmWire(nicId));
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ name, type: 'Microsoft.Compute/virtualMachines', properties: { provisioningState: 'Creating' } });
    expect(put.headers['retry-after']).toBe(String(RETRY_AFTER_S));
    const statusUrl = put.headers['azure-asyncoperation'] as string;
    expect(statusUrl).toMatch(new RegExp(`/subscriptions/${sub()}/providers/Microsoft\\.Compute/locations/eastus/operations/[0-9a-f-]{36}\\?`));
    expect((await raw('GET', statusUrl.slice(sim.url.length))).body).toMatchObject({ status: 'InProgress' });
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS + 50));
    expect((await raw('GET', statusUrl.slice(sim.url.length))).body).toMatchObject({ status: 'Succeeded' });

    const nicPut = await raw('PUT', `${path('Microsoft.Network/networkInterfaces', `${name}-second-nic`)}?api-version=2025-05-01`, {
      location: 'eastus',
      properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: subnetId } } }] },
    });
    expect(nicPut.status).toBe(201);
    expect(nicPut.body).toMatchObject({ properties: { provisioningState: 'Updating' } });
    expect(nicPut.headers['azure-asyncoperation']).toMatch(/\/providers\/Microsoft\.Network\/locations\/eastus\/operations\//);
  });

  it('makes one VM, NIC and public IP of two identical PUTs (the second answers 200)', async () => {
    const name = `vm-prov-${++seq}`;
    const nicId = await nicFor(name);
    await nicFor(name);
    await (await compute(sim).virtualMachines.beginCreateOrUpdate(RG, name, vmParameters(nicId))).pollUntilDone();
    const again = await (await compute(sim).virtualMachines.beginCreateOrUpdate(RG, name, vmParameters(nicId))).pollUntilDone();
    expect(again.provisioningState).toBe('Succeeded');
    const puts = sim.requests.filter((r) => r.method === 'PUT');
    expect(creations(puts, 'vm').map((r) => r.status)).toEqual([201, 200]);
    expect(creations(puts, 'nic').map((r) => r.status)).toEqual([201, 200]);
    expect(creations(puts, 'publicIp').map((r) => r.status)).toEqual([201, 200]);
    expect(sim.vmIds().filter((id) => id.endsWith(`/${name}`))).toHaveLength(1);
    expect(sim.vmOperations().filter((op) => op.action === 'create' && op.vmId.endsWith(`/${name}`))).toHaveLength(1);
  });

  it('refuses synchronously as Azure does: unknown size, core quota, a missing field, terms not accepted, a subnet that does not exist', async () => {
    const name = `vm-prov-${++seq}`;
    const nicId = await nicFor(name);
    const vmUrl = `${path('Microsoft.Compute/virtualMachines', name)}?api-version=2026-03-01`;

    const size = await raw('PUT', vmUrl, vmWire(nicId, (b) => (b.properties.hardwareProfile.vmSize = 'Standard_Z99s_v9')));
    expect(size.status).toBe(409);
    expect(size.body?.error).toMatchObject({ code: 'SkuNotAvailable' });
    expect(size.body?.error?.message).toContain("'Following SKUs have failed for Capacity Restrictions: Standard_Z99s_v9' is currently not available in location 'eastus'");

    sim.setCoreQuota(sub(), 'eastus', sim.coreUsage(sub(), 'eastus') + 1);
    const quota = await raw('PUT', vmUrl, vmWire(nicId));
    expect(quota.status).toBe(409);
    expect(quota.body?.error?.code).toBe('OperationNotAllowed');
    expect(quota.body?.error?.message).toMatch(
      /^Operation could not be completed as it results in exceeding approved Total Regional Cores quota\. .*Location: eastus, Current Limit: \d+, Current Usage: \d+, Additional Required: 2,/,
    );
    sim.setCoreQuota(sub(), 'eastus', 1000);

    const missing = await raw('PUT', vmUrl, vmWire(nicId, (b) => delete b.properties.osProfile.adminUsername));
    expect(missing.status).toBe(400);
    expect(missing.body?.error).toEqual({ code: 'InvalidParameter', message: "Required parameter 'adminUsername' is missing (null).", target: 'adminUsername' });

    const byos = (b: Record<string, any>) => {
      b.properties.storageProfile.imageReference = { publisher: 'redhat', offer: 'rhel-byos', sku: 'rhel-lvm810', version: 'latest' };
      b.plan = { name: 'rhel-lvm810', publisher: 'redhat', product: 'rhel-byos' };
    };
    const terms = await raw('PUT', vmUrl, vmWire(nicId, byos));
    expect(terms.status).toBe(400);
    expect(terms.body?.error?.code).toBe('ResourcePurchaseValidationFailed');
    expect(terms.body?.error?.message).toContain(`Legal terms have not been accepted for this item on this subscription: '${sub()}'`);
    const noPlan = await raw('PUT', vmUrl, vmWire(nicId, (b) => (byos(b), delete b.plan)));
    expect(noPlan.body?.error?.code).toBe('VMMarketplaceInvalidInput');

    // The SDK surfaces the code and status of a refusal.
    await expect(
      network().networkInterfaces.beginCreateOrUpdateAndWait(RG, `${name}-orphan-nic`, {
        location: 'eastus',
        ipConfigurations: [{ name: 'ipconfig1', subnet: { id: `${subnetId}-missing` } }],
      }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidResourceReference', message: expect.stringContaining(`Resource ${subnetId}-missing referenced by resource`) });

    // Nothing was created by the refused PUTs, and no operation started.
    expect(sim.vmIds().some((id) => id.endsWith(`/${name}`))).toBe(false);
    expect(sim.hasResource('nic', path('Microsoft.Network/networkInterfaces', `${name}-orphan-nic`))).toBe(false);
    expect(creations(sim.requests, 'vm').every((r) => r.method === 'PUT' && r.status >= 400)).toBe(true);
  });

  it('serves managed images (Images_Get) and makes a VM only from one that exists in its region', async () => {
    const gold = sim.addImage(sub(), 'rg-images', 'rhel9-gold', { location: 'eastus' });
    const image = await compute(sim).images.get('rg-images', 'rhel9-gold');
    expect(image).toMatchObject({ id: gold, name: 'rhel9-gold', location: 'eastus', hyperVGeneration: 'V2', storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized' } } });
    await expect(compute(sim).images.get('rg-images', 'never-made')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
      message: expect.stringContaining("The Resource 'Microsoft.Compute/images/never-made' under resource group 'rg-images' was not found."),
    });

    const fromImage = (id: string) => (b: Record<string, any>) => (b.properties.storageProfile.imageReference = { id });
    const name = `vm-prov-${++seq}`;
    const nicId = await nicFor(name);
    const vmUrl = `${path('Microsoft.Compute/virtualMachines', name)}?api-version=2026-03-01`;
    const west = sim.addImage(sub(), 'rg-images', 'rhel9-west', { location: 'westeurope' });
    const elsewhere = await raw('PUT', vmUrl, vmWire(nicId, fromImage(west)));
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body?.error).toEqual({ code: 'NotFound', message: `The Image '${west}' cannot be found in 'eastus' region.` });
    expect(sim.removeImage(gold)).toBe(true);
    const deleted = await raw('PUT', vmUrl, vmWire(nicId, fromImage(gold)));
    expect(deleted.status).toBe(404);
    expect(deleted.body?.error?.message).toBe(`The Image '${gold}' cannot be found in 'eastus' region.`);
    expect(sim.vmIds().some((id) => id.endsWith(`/${name}`))).toBe(false);

    sim.addImage(sub(), 'rg-images', 'rhel9-gold', { location: 'eastus' });
    const made = await raw('PUT', vmUrl, vmWire(nicId, fromImage(gold)));
    expect(made.status).toBe(201);
  });

  it('fails an allocation asynchronously: the status URL says Failed and the VM stays, provisioningState Failed', async () => {
    const name = `vm-prov-${++seq}`;
    const nicId = await nicFor(name);
    sim.failVmOperations({ action: 'create' });
    const poller = await compute(sim).virtualMachines.beginCreateOrUpdate(RG, name, vmParameters(nicId));
    // The modular poller names the status URL's error code in its message.
    await expect(poller.pollUntilDone()).rejects.toThrow(/AllocationFailed\. Allocation failed\./);
    const vm = await compute(sim).virtualMachines.get(RG, name, { expand: 'instanceView' });
    expect(vm.provisioningState).toBe('Failed');
    expect(vm.instanceView?.statuses?.[0].code).toBe('ProvisioningState/failed/AllocationFailed');
    const failed = sim.activityLogEvents().filter((e) => (e.resourceId as string) === vm.id && (e.status as { value: string }).value === 'Failed');
    expect(failed).toHaveLength(1);
  });

  it('serves the marketplace terms of a plan: rhel-byos not accepted, accepted by a PUT, and a VM from the plan then created', async () => {
    const url = `/subscriptions/${sub()}/providers/Microsoft.MarketplaceOrdering/offerTypes/virtualmachine/publishers/redhat/offers/rhel-byos/plans/rhel-lvm94/agreements/current?api-version=2021-01-01`;
    const before = await raw('GET', url);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ name: 'rhel-lvm94', properties: { publisher: 'redhat', product: 'rhel-byos', plan: 'rhel-lvm94', accepted: false } });
    expect(Object.keys(before.body!.properties as object)).toEqual(
      expect.arrayContaining(['licenseTextLink', 'privacyPolicyLink', 'marketplaceTermsLink', 'retrieveDatetime', 'signature']),
    );
    const accepted = await raw('PUT', url, { properties: { ...(before.body!.properties as object), accepted: true } });
    expect(accepted.body).toMatchObject({ properties: { accepted: true } });
    expect((await raw('GET', url)).body).toMatchObject({ properties: { accepted: true } });
    expect(sim.marketplaceTermsAccepted({ publisher: 'redhat', offer: 'rhel-byos', plan: 'rhel-lvm94' })).toBe(true);
    expect(sim.requests.filter((r) => r.route === 'marketplaceAgreements')).toHaveLength(3);

    const name = `vm-prov-${++seq}`;
    const nicId = await nicFor(name);
    const vm = await (
      await compute(sim).virtualMachines.beginCreateOrUpdate(
        RG,
        name,
        vmParameters(nicId, {
          plan: { name: 'rhel-lvm94', publisher: 'redhat', product: 'rhel-byos' },
          licenseType: 'RHEL_BYOS',
          storageProfile: { imageReference: { publisher: 'redhat', offer: 'rhel-byos', sku: 'rhel-lvm94', version: 'latest' }, osDisk: { createOption: 'FromImage' } },
        }),
      )
    ).pollUntilDone();
    expect(vm).toMatchObject({ plan: { name: 'rhel-lvm94', product: 'rhel-byos' }, licenseType: 'RHEL_BYOS', provisioningState: 'Succeeded' });
  });

  it('lets faults hit the PUTs: a 429 with Retry-After is retried by the SDK and still makes one VM', async () => {
    const name = `vm-prov-${++seq}`;
    const nicId = await nicFor(name);
    sim.clearRequests();
    sim.injectFault({ route: 'resourceCreations', kind: 'throttle', retryAfterSeconds: 0 });
    sim.injectFault({ route: 'resourceCreations', kind: 'error', status: 503 });
    await (await compute(sim).virtualMachines.beginCreateOrUpdate(RG, name, vmParameters(nicId))).pollUntilDone();
    expect(creations(sim.requests, 'vm').filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([429, 503, 201]);
    expect(sim.vmIds().filter((id) => id.endsWith(`/${name}`))).toHaveLength(1);
  });
});
