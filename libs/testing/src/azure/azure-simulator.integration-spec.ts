import { request } from 'node:https';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential } from '@azure/identity';
import { AzureSimulator } from './azure-simulator.js';
import { clientOptions, collect, compute, credential, powerState } from './sim-sdk.fixture.js';

// These tests drive the simulator with the real SDK packages, so they prove the wire shapes,
// paging, auth and faults are what the SDK expects, not what we think it expects.

async function rawGet(sim: AzureSimulator, path: string, token?: string): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${sim.url}${path}`,
      { ca: sim.caCertificate, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function token(sim: AzureSimulator): Promise<string> {
  const accessToken = await credential(sim).getToken('https://management.azure.com/.default');
  return accessToken.token;
}

describe('AzureSimulator with the real Azure SDK', () => {
  let sim: AzureSimulator;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ pageSize: 7 });
  });

  afterAll(async () => {
    await sim.stop();
  });

  beforeEach(() => {
    sim.clearRequests();
    sim.clearFaults();
  });

  describe('Entra ID', () => {
    it('issues a token to ClientSecretCredential trusting the CA through tlsOptions', async () => {
      const accessToken = await credential(sim).getToken('https://management.azure.com/.default');
      expect(accessToken.token.split('.')).toHaveLength(3);
      expect(accessToken.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000 * 1000);
      const paths = sim.requests.map((r) => `${r.method} ${r.path}`);
      expect(paths).toContain(`GET /${sim.tenantId}/v2.0/.well-known/openid-configuration`);
      expect(paths).toContain(`POST /${sim.tenantId}/oauth2/v2.0/token`);
    });

    it('rejects a wrong secret with AADSTS7000215', async () => {
      await expect(credential(sim, 'not-the-secret').getToken('https://management.azure.com/.default')).rejects.toThrow(/AADSTS7000215/);
      expect(sim.requests.find((r) => r.path.endsWith('/token'))?.status).toBe(401);
    });

    it('rejects an unknown client id with AADSTS700016', async () => {
      const wrong = credential(sim, sim.clientSecret, '00000000-0000-0000-0000-000000000001');
      await expect(wrong.getToken('https://management.azure.com/.default')).rejects.toThrow(/AADSTS700016/);
    });

    it('rejects an unknown tenant with AADSTS90002', async () => {
      const wrongTenant = new ClientSecretCredential('11111111-1111-1111-1111-111111111111', sim.clientId, sim.clientSecret, {
        authorityHost: sim.url,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: sim.caCertificate },
      });
      // MSAL stops at the OpenID configuration, which answers 400 invalid_tenant (AADSTS90002).
      await expect(wrongTenant.getToken('https://management.azure.com/.default')).rejects.toThrow();
      expect(sim.requests.map((r) => `${r.path} ${r.status}`)).toEqual(['/11111111-1111-1111-1111-111111111111/v2.0/.well-known/openid-configuration 400']);
      const raw = await rawGet(sim, '/11111111-1111-1111-1111-111111111111/v2.0/.well-known/openid-configuration');
      expect(raw.body).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
    });
  });

  describe('compute', () => {
    it('pages listAll by nextLink and returns every VM in the SDK flattened shape', async () => {
      const vms = await collect(compute(sim).virtualMachines.listAll());
      expect(vms).toHaveLength(36);
      expect(new Set(vms.map((vm) => vm.id)).size).toBe(36);
      expect(vms.map((vm) => vm.id)).toEqual(sim.vmIds());
      const listCalls = sim.requests.filter((r) => /virtualMachines$/i.test(r.path));
      expect(listCalls).toHaveLength(Math.ceil(36 / 7));
      expect(listCalls[0].query['api-version']).toBe('2026-03-01');
      expect(listCalls[1].query['$skiptoken']).toBeDefined();
      const vm = vms.find((v) => v.licenseType === 'RHEL_BYOS');
      expect(vm?.hardwareProfile?.vmSize).toMatch(/^Standard_/);
      expect(vm?.storageProfile?.osDisk?.managedDisk?.id).toMatch(/\/providers\/Microsoft\.Compute\/disks\//);
      expect(vm?.vmId).toMatch(/^[0-9a-f-]{36}$/);
      expect(vm?.instanceView).toBeUndefined();
      expect(vms.find((v) => v.plan?.product === 'rhel-byos')?.plan?.publisher).toBe('redhat');
    });

    it('returns instance views with statusOnly', async () => {
      const vms = await collect(compute(sim).virtualMachines.listAll({ statusOnly: 'true' }));
      expect(vms).toHaveLength(36);
      const states = new Set(vms.map(powerState));
      expect([...states]).toEqual(expect.arrayContaining(['PowerState/running', 'PowerState/stopped', 'PowerState/deallocated']));
      const running = vms.find((vm) => vm.storageProfile?.imageReference?.sku === '9-lvm-gen2' && powerState(vm) === 'PowerState/running');
      expect(running?.instanceView?.osName).toBe('redhat');
      expect(running?.instanceView?.vmAgent?.vmAgentVersion).toMatch(/^2\.\d+\.\d+\.\d+$/);
      const deallocated = vms.find((vm) => powerState(vm) === 'PowerState/deallocated');
      expect(deallocated?.instanceView?.osName).toBeUndefined();
      expect(sim.requests.filter((r) => /virtualMachines$/i.test(r.path)).every((r) => r.query.statusOnly === 'true')).toBe(true);
    });

    it('gets one VM, with $expand=instanceView, and 404s an unknown one', async () => {
      const [rg, name] = sim.vmIds()[0].split('/').filter((_s, i) => i === 4 || i === 8);
      const vm = await compute(sim).virtualMachines.get(rg.toUpperCase(), name, { expand: 'instanceView' });
      expect(vm.name).toBe(name);
      expect(powerState(vm)).toMatch(/^PowerState\//);
      await expect(compute(sim).virtualMachines.get(rg, 'no-such-vm')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    });

    it('lists disks and VM sizes', async () => {
      const client = compute(sim);
      const disks = await collect(client.disks.list());
      expect(disks.length).toBeGreaterThan(36);
      const osDisk = disks.find((d) => d.osType === 'Linux');
      expect(osDisk?.managedBy).toMatch(/virtualMachines/);
      expect(disks.some((d) => d.diskState === 'Unattached' && d.managedBy === undefined)).toBe(true);
      expect(disks.some((d) => d.diskState === 'Reserved')).toBe(true);
      const sizes = await collect(client.virtualMachineSizes.list('eastus'));
      expect(sizes.find((s) => s.name === 'Standard_D2s_v3')).toMatchObject({ numberOfCores: 2, memoryInMB: 8192 });
      const diskCall = sim.requests.find((r) => /disks$/i.test(r.path));
      const sizeCall = sim.requests.find((r) => /vmSizes$/i.test(r.path));
      expect([diskCall?.query['api-version'], sizeCall?.query['api-version']]).toEqual(['2025-01-02', '2026-03-01']);
    });
  });

  describe('network and resources', () => {
    it('lists NICs and public IPs joined back to the VMs', async () => {
      const client = new NetworkManagementClient(credential(sim), sim.subscriptionIds[0], clientOptions(sim));
      const nics = await collect(client.networkInterfaces.listAll());
      const pips = await collect(client.publicIPAddresses.listAll());
      expect(nics).toHaveLength(36);
      const vmIds = new Set(sim.vmIds().map((id) => id.toLowerCase()));
      expect(nics.every((nic) => vmIds.has(nic.virtualMachine!.id!.toLowerCase()))).toBe(true);
      expect(nics[0].macAddress).toMatch(/^00-0D-3A-[0-9A-F]{2}-[0-9A-F]{2}-[0-9A-F]{2}$/);
      const withPip = nics.filter((nic) => nic.ipConfigurations?.[0].publicIPAddress?.id);
      expect(withPip.length).toBeGreaterThan(0);
      for (const nic of withPip) {
        const pip = pips.find((p) => p.id!.toLowerCase() === nic.ipConfigurations![0].publicIPAddress!.id!.toLowerCase());
        expect(pip?.ipConfiguration?.id?.toLowerCase()).toBe(nic.ipConfigurations![0].id!.toLowerCase());
      }
      expect(pips.some((p) => p.publicIPAllocationMethod === 'Dynamic' && p.ipAddress === undefined)).toBe(true);
      expect(pips.some((p) => p.ipAddress)).toBe(true);
      expect(sim.requests.filter((r) => /networkInterfaces$/i.test(r.path)).map((r) => r.query['api-version'])).toContain('2025-05-01');

      const one = await client.networkInterfaces.get(nics[0].id!.split('/')[4], nics[0].name!);
      expect(one.id).toBe(nics[0].id);
    });

    it('lists resource groups', async () => {
      const client = new ResourceManagementClient(credential(sim), sim.subscriptionIds[0], clientOptions(sim));
      const groups = await collect(client.resourceGroups.list());
      expect(groups.map((g) => g.name)).toEqual(expect.arrayContaining(['rg-rhel-prod', 'NetworkWatcherRG']));
      expect(groups[0].properties?.provisioningState).toBe('Succeeded');
      expect(sim.requests.find((r) => /resourcegroups$/.test(r.path))?.query['api-version']).toBe('2025-04-01');
    });
  });

  describe('ARM checks', () => {
    it('answers a bad or missing api-version, a missing token and an unknown subscription like ARM', async () => {
      const bearer = await token(sim);
      const base = `/subscriptions/${sim.subscriptionIds[0]}/providers/Microsoft.Compute/virtualMachines`;
      const bad = await rawGet(sim, `${base}?api-version=2099-01-01`, bearer);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { code: 'InvalidApiVersionParameter' } });
      expect(JSON.stringify(bad.body)).toContain('2026-03-01');
      const missing = await rawGet(sim, base, bearer);
      expect(missing.body).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
      const anonymous = await rawGet(sim, `${base}?api-version=2026-03-01`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
      const forged = await rawGet(sim, `${base}?api-version=2026-03-01`, 'abc.def.ghi');
      expect(forged.status).toBe(401);
      const unknown = await rawGet(sim, `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups?api-version=2025-04-01`, bearer);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ error: { code: 'SubscriptionNotFound' } });
      const ok = await rawGet(sim, `//subscriptions/${sim.subscriptionIds[0]}/PROVIDERS/microsoft.compute/VIRTUALMACHINES?api-version=2024-07-01&api-version=2026-03-01`, bearer);
      expect(ok.status).toBe(200);
      expect(ok.headers['x-ms-request-id']).toBeDefined();
      expect(ok.headers['x-ms-ratelimit-remaining-subscription-reads']).toBeDefined();
      expect((ok.body as { nextLink: string }).nextLink).toMatch(new RegExp(`^${sim.url}/subscriptions/.*api-version=2024-07-01.*%24skiptoken=`));
    });
  });

  describe('faults', () => {
    it('recovers from a throttle with Retry-After 0 through the SDK retry policy', async () => {
      sim.injectFault({ route: 'virtualMachines', kind: 'throttle', retryAfterSeconds: 0, times: 2 });
      const vms = await collect(compute(sim).virtualMachines.listAll());
      expect(vms).toHaveLength(36);
      expect(sim.requests.filter((r) => r.status === 429)).toHaveLength(2);
    });

    it('surfaces a throttle without Retry-After at once (the SDK does not retry it)', async () => {
      sim.injectFault({ route: 'virtualMachines', kind: 'throttle', retryAfterSeconds: null });
      await expect(collect(compute(sim).virtualMachines.listAll())).rejects.toMatchObject({ statusCode: 429, code: 'TooManyRequests' });
      expect(sim.requests.filter((r) => /virtualMachines$/i.test(r.path))).toHaveLength(1);
    });

    it('fails only the targeted page in the middle of paging', async () => {
      sim.injectFault({ route: 'virtualMachinesStatus', page: 3, kind: 'error', status: 503, times: Infinity });
      const seen: string[] = [];
      const failure = (async () => {
        for await (const vm of compute(sim, 0).virtualMachines.listAll({ statusOnly: 'true' })) seen.push(vm.id!);
      })();
      await expect(failure).rejects.toMatchObject({ statusCode: 503, code: 'ServiceUnavailable' });
      expect(seen).toHaveLength(14);
      // Plain listAll is another route: untouched.
      expect(await collect(compute(sim, 0).virtualMachines.listAll())).toHaveLength(36);
    });

    it('lets the SDK retry resume paging after a 5xx on one page, and recover a dropped connection', async () => {
      sim.injectFault({ route: 'networkInterfaces', page: 2, kind: 'error', status: 500 });
      sim.injectFault({ route: 'disks', kind: 'drop' });
      const options = { ...clientOptions(sim), retryOptions: { retryDelayInMs: 5 } };
      const network = new NetworkManagementClient(credential(sim), sim.subscriptionIds[0], options);
      expect(await collect(network.networkInterfaces.listAll())).toHaveLength(36);
      const computeClient = new ComputeManagementClient(credential(sim), sim.subscriptionIds[0], options);
      expect((await collect(computeClient.disks.list())).length).toBeGreaterThan(36);
      expect(sim.requests.map((r) => r.status)).toEqual(expect.arrayContaining([500, 0]));
    });

    it('recovers a token request that failed once', async () => {
      sim.injectFault({ route: 'token', kind: 'throttle', retryAfterSeconds: 0 });
      await expect(credential(sim).getToken('https://management.azure.com/.default')).resolves.toHaveProperty('token');
      expect(sim.requests.filter((r) => r.path.endsWith('/token')).map((r) => r.status)).toEqual([429, 200]);
    });

    it('surfaces a dropped connection and a malformed body as errors', async () => {
      sim.injectFault({ route: 'disks', kind: 'drop' });
      await expect(collect(compute(sim, 0).disks.list())).rejects.toThrow();
      expect(sim.requests.at(-1)?.status).toBe(0);
      sim.injectFault({ route: 'resourceGroups', kind: 'malformed' });
      const resources = new ResourceManagementClient(credential(sim), sim.subscriptionIds[0], clientOptions(sim, 0));
      await expect(collect(resources.resourceGroups.list())).rejects.toThrow();
    });

    it('serves a slow request after the delay', async () => {
      sim.injectFault({ route: 'vmSizes', kind: 'slow', delayMs: 300 });
      const started = Date.now();
      await collect(compute(sim).virtualMachineSizes.list('westeurope'));
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    });
  });
});

describe('AzureSimulator at scale and with several subscriptions', () => {
  it('serves 10,000 VMs through the SDK quickly', async () => {
    const started = Date.now();
    const big = await AzureSimulator.start({ vmCount: 10_000, pageSize: 1000 });
    try {
      const vms = await collect(compute(big).virtualMachines.listAll({ statusOnly: 'true' }));
      expect(vms).toHaveLength(10_000);
      expect(big.requests.filter((r) => /virtualMachines$/i.test(r.path))).toHaveLength(10);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await big.stop();
    }
  });

  it('keeps one estate per subscription', async () => {
    const multi = await AzureSimulator.start({ vmCount: 3, subscriptionIds: ['11111111-0000-4000-8000-000000000001', '22222222-0000-4000-8000-000000000002'] });
    try {
      const [first, second] = multi.subscriptionIds;
      const vms = await collect(new ComputeManagementClient(credential(multi), second, clientOptions(multi)).virtualMachines.listAll());
      expect(vms.map((vm) => vm.id)).toEqual(multi.vmIds(second));
      expect(vms.every((vm) => vm.id!.startsWith(`/subscriptions/${second}/`))).toBe(true);
      expect(multi.vmIds()).toEqual([...multi.vmIds(first), ...multi.vmIds(second)]);
    } finally {
      await multi.stop();
    }
  });
});

describe('AzureSimulator estate mutations', () => {
  let sim: AzureSimulator;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 5, pageSize: 2 });
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('changes what listAll returns', async () => {
    const subscriptionId = sim.subscriptionIds[0];
    const id = sim.addVm(subscriptionId, {
      name: 'new-rhel',
      resourceGroup: 'RG-New',
      imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: '9.4.2024061414' },
      guestOsName: 'redhat',
      guestOsVersion: '9.4',
      vmAgentVersion: '2.15.1.3',
      publicIp: true,
      dataDisks: 2,
      tags: { env: 'test' },
    });
    expect(id).toBe(`/subscriptions/${subscriptionId}/resourceGroups/RG-New/providers/Microsoft.Compute/virtualMachines/new-rhel`);
    const client = compute(sim);
    let vms = await collect(client.virtualMachines.listAll({ statusOnly: 'true' }));
    expect(vms.map((vm) => vm.id)).toContain(id);
    expect(vms.find((vm) => vm.id === id)?.storageProfile?.dataDisks).toHaveLength(2);

    sim.setPowerState(id, 'deallocated');
    sim.resizeVm(id, 'Standard_E4s_v3');
    sim.setTags(id, { env: 'prod' });
    sim.setLicenseType(id, 'RHEL_BYOS');
    vms = await collect(client.virtualMachines.listAll({ statusOnly: 'true' }));
    let vm = vms.find((v) => v.id === id)!;
    expect(powerState(vm)).toBe('PowerState/deallocated');
    expect(vm.instanceView?.osName).toBeUndefined();
    expect(vm.hardwareProfile?.vmSize).toBe('Standard_E4s_v3');
    expect(vm.tags).toEqual({ env: 'prod' });
    expect(vm.licenseType).toBe('RHEL_BYOS');

    sim.setPowerState(id, 'running');
    sim.setLicenseType(id, null);
    vm = (await collect(client.virtualMachines.listAll({ statusOnly: 'true' }))).find((v) => v.id === id)!;
    expect(vm.instanceView?.osVersion).toBe('9.4');
    expect(vm.licenseType).toBeUndefined();

    const network = new NetworkManagementClient(credential(sim), subscriptionId, clientOptions(sim));
    sim.removeVm(id);
    vms = await collect(client.virtualMachines.listAll());
    expect(vms.map((v) => v.id)).not.toContain(id);
    const nics = await collect(network.networkInterfaces.listAll());
    expect(nics.some((nic) => nic.virtualMachine?.id?.toLowerCase() === id.toLowerCase())).toBe(false);
    const disks = await collect(client.disks.list());
    expect(disks.some((d) => d.name?.startsWith('new-rhel_'))).toBe(false);
  });

  it('throttles reads with the token bucket when rateLimit is on', async () => {
    const limited = await AzureSimulator.start({ vmCount: 2, rateLimit: { bucket: 3, refillPerSecond: 0.5 } });
    try {
      const bearer = await token(limited);
      const path = `/subscriptions/${limited.subscriptionIds[0]}/resourcegroups?api-version=2025-04-01`;
      const remaining: unknown[] = [];
      for (let i = 0; i < 3; i++) remaining.push((await rawGet(limited, path, bearer)).headers['x-ms-ratelimit-remaining-subscription-reads']);
      expect(remaining).toEqual(['2', '1', '0']);
      const throttled = await rawGet(limited, path, bearer);
      expect(throttled.status).toBe(429);
      expect(throttled.body).toMatchObject({ error: { code: 'TooManyRequests' } });
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.stop();
    }
  });
});
