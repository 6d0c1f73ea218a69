import type { ProvisionSource, ProvisionSpec } from '@hybridforms/core';
import { AzureSimulator } from '@hybridforms/testing';
import { AzureProviderPlugin } from './azure-provider.plugin.js';
import { quietLogger, simContext } from './__fixtures__/sim-context.js';

// provisionSources and checkProvision through the real arm-compute 24 / arm-network 36 clients
// (and the compute pipeline for Marketplace Ordering) against the simulator.

const RG = 'rg-prov';

function ed25519Key(): string {
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.alloc(4 + type.length + 4 + 32);
  blob.writeUInt32BE(type.length, 0);
  type.copy(blob, 4);
  blob.writeUInt32BE(32, 4 + type.length);
  return `ssh-ed25519 ${blob.toString('base64')} ops@example`;
}

describe('Azure provider plugin: provisioning sources and checks on the simulator, through the real SDK', () => {
  let sim: AzureSimulator;
  let subnetId: string;
  const plugin = new AzureProviderPlugin();
  const ctx = () => simContext(sim, { locations: ['eastus', 'westeurope'] });
  /** The problems a check found (the vCPUs it reports are asserted apart). */
  const problemsOf = async (...args: Parameters<AzureProviderPlugin['checkProvision']>): Promise<string[]> => (await plugin.checkProvision(...args)).problems;
  let sources: ProvisionSource[];

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 2 });
    subnetId = sim.addSubnet(sim.subscriptionIds[0], RG, 'vnet-prov', 'workloads');
    sources = await plugin.provisionSources!(ctx());
    // rhel-lvm9's terms accepted, so a case about it fails for its own reason only.
    sim.setMarketplaceTerms({ publisher: 'redhat', offer: 'rhel-byos', plan: 'rhel-lvm9' }, true);
  });
  afterAll(() => sim?.stop());

  const source = (ref: string) => {
    const found = sources.find((s) => s.ref === ref);
    if (!found) throw new Error(`no source ${ref}`);
    return found;
  };

  function spec(overrides: Partial<ProvisionSpec> = {}): ProvisionSpec {
    return {
      requestId: 'req-1',
      taskId: 'task-1',
      name: 'rhel9-web-01',
      source: source('marketplace:eastus:RedHat:RHEL:9-lvm-gen2'),
      size: { vmSize: 'Standard_D2s_v3' },
      placement: { resourceGroup: RG, location: 'eastus', subnetId, publicIp: false },
      admin: { username: 'azureuser', sshPublicKey: ed25519Key() },
      userData: '#cloud-config\npackages: [httpd]\n',
      tags: {},
      licenseModel: null,
      ...overrides,
    };
  }

  it('lists the locations Azure answers for when one does not (a mistyped one), saying which in the log; fails only when none answers', async () => {
    const warnings: string[] = [];
    const withTypo = { ...simContext(sim, { locations: ['eastus', 'eastuss'] }), logger: { ...quietLogger, warn: (message: string) => warnings.push(message) } };
    const listed = await plugin.provisionSources!(withTypo);
    expect(listed.map((s) => s.ref).sort()).toEqual(sources.filter((s) => s.ref.startsWith('marketplace:eastus:')).map((s) => s.ref).sort());
    expect(listed).toHaveLength(7);
    expect(warnings).toEqual([expect.stringMatching(/RHEL images of eastuss in subscription .* not listed: .*location 'eastuss' is invalid/)]);
    await expect(plugin.provisionSources!(simContext(sim, { locations: ['eastuss'] }))).rejects.toThrow(/eastuss/);
  });

  it('lists the RHEL and rhel-byos skus of every configured location, classified, with the plan of Cloud Access images', () => {
    const refs = sources.map((s) => s.ref);
    for (const location of ['eastus', 'westeurope']) {
      for (const sku of ['8-lvm-gen2', '9-lvm-gen2', '9-lvm', '8-lvm']) expect(refs).toContain(`marketplace:${location}:RedHat:RHEL:${sku}`);
      for (const sku of ['rhel-lvm9', 'rhel-lvm8', 'rhel-lvm87']) expect(refs).toContain(`marketplace:${location}:RedHat:rhel-byos:${sku}`);
    }
    expect(sources).toHaveLength(14);
    expect(source('marketplace:eastus:RedHat:RHEL:9-lvm-gen2')).toMatchObject({
      kind: 'marketplace',
      osFamily: 'rhel',
      osVersion: '9',
      licenseModel: 'payg',
      location: 'eastus',
      generation: 2,
      plan: null,
      details: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' },
    });
    expect(source('marketplace:westeurope:RedHat:rhel-byos:rhel-lvm87')).toMatchObject({
      osFamily: 'rhel',
      osVersion: '8.7',
      licenseModel: 'byos',
      generation: 1,
      plan: { publisher: 'redhat', product: 'rhel-byos', name: 'rhel-lvm87' },
    });
  });

  it('asks the listing routes of each location (offers once, then the skus of each RHEL offer)', async () => {
    const mark = sim.requests.length;
    await plugin.provisionSources!(ctx());
    const listing = sim.requests.slice(mark).filter((r) => r.route === 'vmImageOffers' || r.route === 'vmImageSkus');
    const paths = listing.map((r) => `${r.method} ${r.path.toLowerCase()}`);
    for (const location of ['eastus', 'westeurope']) {
      expect(paths).toContain(`GET /subscriptions/${sim.subscriptionIds[0]}/providers/microsoft.compute/locations/${location}/publishers/redhat/artifacttypes/vmimage/offers`);
      expect(paths).toContain(`GET /subscriptions/${sim.subscriptionIds[0]}/providers/microsoft.compute/locations/${location}/publishers/redhat/artifacttypes/vmimage/offers/rhel/skus`);
      expect(paths).toContain(`GET /subscriptions/${sim.subscriptionIds[0]}/providers/microsoft.compute/locations/${location}/publishers/redhat/artifacttypes/vmimage/offers/rhel-byos/skus`);
    }
    expect(listing).toHaveLength(6);
    expect(listing.every((r) => r.status === 200)).toBe(true);
  });

  it('offers no rhel-byos image to a subscription not enrolled in Cloud Access', async () => {
    sim.setCloudAccess(false);
    try {
      const refs = (await plugin.provisionSources!(ctx())).map((s) => s.ref);
      expect(refs).toHaveLength(8);
      expect(refs.some((r) => r.includes('rhel-byos'))).toBe(false);
    } finally {
      sim.setCloudAccess(true);
    }
  });

  it('offers no marketplace image when no location is configured', async () => {
    expect(await plugin.provisionSources!(simContext(sim))).toEqual([]);
  });

  it('passes a sound On-Demand spec, and byos on an On-Demand image (Hybrid Benefit)', async () => {
    expect(await problemsOf(ctx(), [spec()])).toEqual([]);
    // The size's cores, for the host's quotas.
    expect((await plugin.checkProvision(ctx(), [spec()])).vcpusPerVm).toBe(2);
    expect(await problemsOf(ctx(), [spec({ licenseModel: 'byos' })])).toEqual([]);
  });

  it('refuses each broken field with a message naming it', async () => {
    const cases: [Partial<ProvisionSpec>, RegExp][] = [
      [{ name: 'web_01' }, /^name: .*periods or underscores/],
      [{ name: '-web' }, /^name: .*hostname/],
      [{ name: 'web-' }, /^name: .*must not end/],
      [{ name: 'x'.repeat(65) }, /^name: .*1-64/],
      [{ size: { vmSize: 'Standard_Z99' } }, /^size\.vmSize: 'Standard_Z99' is not offered in eastus/],
      [{ placement: { resourceGroup: RG, location: 'eastus', subnetId: 'not-an-id' } }, /^placement\.subnetId: 'not-an-id' is not a subnet's resource id/],
      [{ placement: { resourceGroup: RG, location: 'eastus', subnetId: subnetId.replace('workloads', 'missing') } }, /^placement\.subnetId: subnet 'missing' .* does not exist/],
      [{ placement: { resourceGroup: RG, location: 'westeurope', subnetId } }, /^placement\.location: 'westeurope' is not where the source is offered \('eastus'\)/],
      [{ placement: { location: 'eastus', subnetId } }, /^placement\.resourceGroup: a resource group is required/],
      [{ placement: { resourceGroup: 'rg-nowhere', location: 'eastus', subnetId } }, /^placement\.resourceGroup: resource group 'rg-nowhere' does not exist in subscription .*az group create --name rg-nowhere/],
      [{ placement: { resourceGroup: 'rg.', location: 'eastus', subnetId } }, /^placement\.resourceGroup: 'rg\.' is not a valid/],
      [{ admin: { username: 'root', sshPublicKey: ed25519Key() } }, /^admin\.username: 'root' is a name Azure reserves/],
      [{ admin: { username: 'azureuser', sshPublicKey: 'ssh-rsa notakey' } }, /^admin\.sshPublicKey: /],
      [{ userData: 'x'.repeat(65536) }, /^userData: 65536 bytes is more than Azure's customData limit of 65535 bytes/],
    ];
    for (const [overrides, expected] of cases) {
      const problems = await problemsOf(ctx(), [spec(overrides)]);
      expect({ overrides, problems }).toEqual({ overrides, problems: [expect.stringMatching(expected)] });
    }
  });

  it('names the VM after each message when several specs are checked', async () => {
    const problems = await problemsOf(ctx(), [spec({ name: 'ok-1' }), spec({ name: 'bad_2' }), spec({ name: 'ok-3', size: { vmSize: 'Standard_Z1' } })]);
    expect(problems).toEqual([
      expect.stringMatching(/^name: 'bad_2' .* \[VM bad_2\]$/),
      expect.stringMatching(/^size\.vmSize: 'Standard_Z1' is not offered in eastus \[VM ok-3\]$/),
    ]);
  });

  it('refuses a Cloud Access image whose terms are not accepted, saying how to accept them, and passes it once accepted', async () => {
    const byos = spec({ source: source('marketplace:eastus:RedHat:rhel-byos:rhel-lvm87'), licenseModel: 'byos' });
    const mark = sim.requests.length;
    const refused = await problemsOf(ctx(), [byos]);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^source: the marketplace terms of plan redhat\/rhel-byos\/rhel-lvm87 are not accepted/);
    expect(refused[0]).toContain('az vm image terms accept --publisher redhat --offer rhel-byos --plan rhel-lvm87');
    const agreements = sim.requests.slice(mark).filter((r) => r.route === 'marketplaceAgreements');
    expect(agreements).toHaveLength(1);
    expect(agreements[0].query['api-version']).toBe('2021-01-01');

    sim.setMarketplaceTerms({ publisher: 'redhat', offer: 'rhel-byos', plan: 'rhel-lvm87' }, true);
    expect(await problemsOf(ctx(), [byos])).toEqual([]);
  });

  it('refuses a Cloud Access image in a subscription not enrolled in Cloud Access', async () => {
    sim.setCloudAccess(false);
    try {
      const problems = await problemsOf(ctx(), [spec({ source: source('marketplace:eastus:RedHat:rhel-byos:rhel-lvm9'), licenseModel: 'byos' })]);
      expect(problems).toEqual([expect.stringMatching(/^source: RedHat:rhel-byos:rhel-lvm9 is not offered to subscription .* in eastus \(rhel-byos is only offered to subscriptions enrolled in Red Hat Cloud Access\)$/)]);
    } finally {
      sim.setCloudAccess(true);
    }
  });

  it('refuses specs whose vCPUs together pass the free regional quota, naming the numbers', async () => {
    const sub = sim.subscriptionIds[0];
    const used = sim.coreUsage(sub, 'eastus');
    sim.setCoreQuota(sub, 'eastus', used + 6);
    try {
      const specs = [spec({ name: 'q-1', size: { vmSize: 'Standard_D4s_v3' } }), spec({ name: 'q-2', size: { vmSize: 'Standard_D4s_v3' } })];
      const mark = sim.requests.length;
      const problems = await problemsOf(ctx(), specs);
      expect(problems).toEqual([`size.vmSize: 2 VM(s) need 8 vCPUs in eastus, but only 6 of the subscription's Total Regional vCPUs quota are free (limit ${used + 6}, in use ${used}); ask for a quota increase or choose smaller sizes`]);
      expect(sim.requests.slice(mark).filter((r) => r.route === 'usages')).toHaveLength(1);
      expect(await problemsOf(ctx(), [specs[0]])).toEqual([]);
    } finally {
      sim.setCoreQuota(sub, 'eastus', 1000);
    }
  });

  it('checks a custom-image source against the managed image itself: gone, in another region, or a Windows one', async () => {
    const sub = sim.subscriptionIds[0];
    const custom = (name: string): ProvisionSource => ({
      ref: `/subscriptions/${sub}/resourceGroups/rg-images/providers/Microsoft.Compute/images/${name}`,
      kind: 'custom-image',
      name,
      osFamily: 'rhel',
      osVersion: '9.2',
      licenseModel: 'byos',
      location: null,
      hostNativeId: null,
      generation: null,
      plan: null,
      details: {},
    });
    sim.addImage(sub, 'rg-images', 'gold-east', { location: 'eastus' });
    sim.addImage(sub, 'rg-images', 'gold-west', { location: 'westeurope' });
    sim.addImage(sub, 'rg-images', 'gold-win', { location: 'eastus', osType: 'Windows' });
    sim.addImage(sub, 'rg-images', 'gold-gone', { location: 'eastus' });
    expect(sim.removeImage(custom('gold-gone').ref)).toBe(true);

    expect(await problemsOf(ctx(), [spec({ source: custom('gold-east') })])).toEqual([]);
    expect(await problemsOf(ctx(), [spec({ source: custom('gold-gone') })])).toEqual([
      "source: managed image 'gold-gone' no longer exists in resource group 'rg-images' (the VMs made from it remain); choose another source",
    ]);
    expect(await problemsOf(ctx(), [spec({ source: custom('gold-west') })])).toEqual([
      "placement.location: managed image 'gold-west' is in westeurope; a VM made from it must be there too (copy the image to eastus, or place the VM in westeurope)",
    ]);
    expect(await problemsOf(ctx(), [spec({ source: custom('gold-win') })])).toEqual([
      "source: managed image 'gold-win' is a Windows image; Hybridforms provisions RHEL (Linux) VMs",
    ]);
    // Read once per image however many VMs the request makes.
    const mark = sim.requests.length;
    await problemsOf(ctx(), [spec({ name: 'gold-a', source: custom('gold-east') }), spec({ name: 'gold-b', source: custom('gold-east') })]);
    expect(sim.requests.slice(mark).filter((r) => /\/images\/gold-east$/i.test(r.path))).toHaveLength(1);
  });

  it('never puts the client secret in a message', async () => {
    const problems = await problemsOf(ctx(), [spec({ name: sim.clientSecret, admin: { username: sim.clientSecret, sshPublicKey: sim.clientSecret } })]);
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).not.toContain(sim.clientSecret);
  });
});
