/* eslint-disable @typescript-eslint/no-explicit-any -- raw ARM bodies are read freely */
import { request } from 'node:https';
import { AzureSimulator } from './azure-simulator.js';
import { collect, compute, credential } from './sim-sdk.fixture.js';

// The image listings (VirtualMachineImages_ListOffers / ListSkus: a bare JSON array of
// { location, name, id }), the compute usages (Usage_List) and Subnets_Get, on the wire and
// through arm-compute 24.

describe('marketplace image listings, compute usages and subnets on the simulator', () => {
  let sim: AzureSimulator;
  let bearer: string;
  const sub = () => sim.subscriptionIds[0];

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 4 });
    bearer = (await credential(sim).getToken('https://management.azure.com/.default')).token;
  });
  afterAll(() => sim?.stop());

  async function get(path: string): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const req = request(`${sim.url}${path}`, { method: 'GET', ca: sim.caCertificate, headers: { authorization: `Bearer ${bearer}` } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  const images = (tail: string) => `/subscriptions/${sub()}/providers/Microsoft.Compute/locations/westus2/publishers/RedHat/artifacttypes/vmimage/offers${tail}?api-version=2026-03-01`;

  it('lists offers and skus as a bare array of { location, name, id }', async () => {
    const offers = await get(images(''));
    expect(offers.status).toBe(200);
    expect(offers.body).toEqual([
      { location: 'westus2', name: 'RHEL', id: `/Subscriptions/${sub()}/Providers/Microsoft.Compute/Locations/westus2/Publishers/RedHat/ArtifactTypes/VMImage/Offers/RHEL` },
      { location: 'westus2', name: 'rhel-byos', id: `/Subscriptions/${sub()}/Providers/Microsoft.Compute/Locations/westus2/Publishers/RedHat/ArtifactTypes/VMImage/Offers/rhel-byos` },
    ]);
    const skus = await get(images('/rhel/skus'));
    expect(skus.body.map((s: { name: string }) => s.name)).toEqual(['8-lvm-gen2', '9-lvm-gen2', '9-lvm', '8-lvm']);
    expect(skus.body[0].id).toBe(`/Subscriptions/${sub()}/Providers/Microsoft.Compute/Locations/westus2/Publishers/RedHat/ArtifactTypes/VMImage/Offers/RHEL/Skus/8-lvm-gen2`);
    const byos = await collect((async function* () { yield* await compute(sim).virtualMachineImages.listSkus('westus2', 'RedHat', 'rhel-byos'); })());
    expect(byos.map((s) => s.name)).toEqual(['rhel-lvm9', 'rhel-lvm8', 'rhel-lvm87']);
  });

  it('hides rhel-byos from a subscription not enrolled in Cloud Access, and serves a configured catalogue', async () => {
    sim.setCloudAccess(false);
    try {
      expect((await get(images(''))).body.map((o: { name: string }) => o.name)).toEqual(['RHEL']);
      expect((await get(images('/rhel-byos/skus'))).status).toBe(404);
    } finally {
      sim.setCloudAccess(true);
    }
    sim.setImageOffer('RedHat', 'RHEL', ['10-lvm-gen2']);
    expect((await get(images('/RHEL/skus'))).body.map((s: { name: string }) => s.name)).toEqual(['10-lvm-gen2']);
    sim.setImageOffer('RedHat', 'RHEL', ['8-lvm-gen2', '9-lvm-gen2', '9-lvm', '8-lvm']);
    expect((await get(images('/unknown/skus'))).status).toBe(404);
  });

  it('serves the regional vCPU usage consistent with the core quota and the allocated VMs, per family too', async () => {
    sim.addVm(sub(), { name: 'usage-1', resourceGroup: 'rg-usage', location: 'uksouth', vmSize: 'Standard_D4s_v3', powerState: 'running' });
    sim.addVm(sub(), { name: 'usage-2', resourceGroup: 'rg-usage', location: 'uksouth', vmSize: 'Standard_E2s_v3', powerState: 'running' });
    sim.addVm(sub(), { name: 'usage-3', resourceGroup: 'rg-usage', location: 'uksouth', vmSize: 'Standard_D2s_v3', powerState: 'deallocated' });
    sim.setCoreQuota(sub(), 'uksouth', 20);
    const usages = await collect(compute(sim).usage.list('uksouth'));
    const cores = usages.find((u) => u.name.value === 'cores');
    expect(cores).toEqual({ unit: 'Count', name: { value: 'cores', localizedValue: 'Total Regional vCPUs' }, currentValue: sim.coreUsage(sub(), 'uksouth'), limit: 20 });
    expect(cores!.currentValue).toBeGreaterThanOrEqual(6);
    const dsv3 = usages.find((u) => u.name.value === 'standardDSv3Family');
    const esv3 = usages.find((u) => u.name.value === 'standardESv3Family');
    expect(dsv3).toMatchObject({ unit: 'Count', name: { localizedValue: 'Standard DSv3 Family vCPUs' } });
    expect(dsv3!.currentValue).toBeGreaterThanOrEqual(4);
    expect(esv3!.currentValue).toBeGreaterThanOrEqual(2);
    const families = usages.filter((u) => /Family$/.test(u.name.value ?? ''));
    expect(families.reduce((sum, u) => sum + u.currentValue, 0)).toBe(cores!.currentValue);
  });

  it('GETs a subnet that exists, 404 for one that does not', async () => {
    const id = sim.addSubnet(sub(), 'rg-net', 'vnet-a', 'apps');
    const found = await get(`${id}?api-version=2025-05-01`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ name: 'apps', type: 'Microsoft.Network/virtualNetworks/subnets', properties: { provisioningState: 'Succeeded' } });
    expect(found.body.id.toLowerCase()).toBe(id.toLowerCase());
    expect((await get(`${id.replace('/apps', '/nope')}?api-version=2025-05-01`)).status).toBe(404);
  });
});
