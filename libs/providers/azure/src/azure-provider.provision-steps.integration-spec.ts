import { graphOfChunks, ProviderError, type ProvisionSource, type ProvisionSpec } from '@hybridforms/core';
import { AzureSimulator, type SimRequest } from '@hybridforms/testing';
import { AzureProviderPlugin } from './azure-provider.plugin.js';
import { AzureClientFactory } from './azure-client.factory.js';
import { resolveAzureConfig } from './azure-provider.config.js';
import { REQUEST_TAG, TASK_TAG } from './azure.vm-builder.js';
import { decodeAzureContinuation } from './azure.vm-operator.js';
import { simContext } from './__fixtures__/sim-context.js';

// The steps that make a VM, through the real arm-network 36 / arm-compute 24 create pollers against
// the simulator's PUTs (201 + Azure-AsyncOperation + Retry-After, provisioningState Creating → Succeeded).

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example';
const RG = 'rg-made';
const LOCATION = 'eastus';

const ON_DEMAND: ProvisionSource = {
  ref: `marketplace:${LOCATION}:RedHat:RHEL:9-lvm-gen2`,
  kind: 'marketplace',
  name: 'RedHat RHEL 9-lvm-gen2',
  osFamily: 'rhel',
  osVersion: '9',
  licenseModel: 'payg',
  location: LOCATION,
  hostNativeId: null,
  generation: 2,
  plan: null,
  details: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' },
};

describe('Azure provider plugin: the steps that make a VM, on the simulator through the real SDK pollers', () => {
  let sim: AzureSimulator;
  let subnetId: string;
  let seq = 0;
  const plugin = new AzureProviderPlugin();
  const ctx = () => simContext(sim);

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 0, operationDelayMs: 400, operationRetryAfterSeconds: 1 });
    subnetId = sim.addSubnet(sim.subscriptionIds[0], RG, 'vnet-made');
  });
  afterAll(() => sim?.stop());
  beforeEach(() => sim.clearFaults());

  const spec = (overrides: Partial<ProvisionSpec> = {}): ProvisionSpec => ({
    requestId: '11111111-2222-4333-8444-555555555555',
    taskId: `66666666-7777-4888-8999-${String(++seq).padStart(12, '0')}`,
    name: `made-${seq}`,
    source: ON_DEMAND,
    size: { vmSize: 'Standard_D2s_v3' },
    placement: { resourceGroup: RG, location: LOCATION, subnetId, publicIp: true },
    admin: { username: 'cloud-user', sshPublicKey: KEY },
    userData: '#cloud-config\npackages: [tmux]\n',
    tags: { team: 'web' },
    licenseModel: null,
    ...overrides,
  });

  /** Runs each step as the host does: the request, then (when accepted) the wait on its continuation. */
  async function make(s: ProvisionSpec): Promise<void> {
    for (const step of plugin.provisionSteps(s)) {
      const answer = await plugin.provisionStep(ctx(), s, step.name);
      if (answer.state === 'accepted') await plugin.awaitSettled(ctx(), answer.continuation);
    }
  }
  const puts = (requests: SimRequest[]) => requests.filter((r) => r.method === 'PUT' && r.creation);

  it('plans public IP, NIC and VM with deterministic names and ids', () => {
    const s = spec();
    const steps = plugin.provisionSteps(s);
    expect(steps.map((step) => [step.name, step.creates?.kind, step.creates?.name])).toEqual([
      ['publicIp', 'publicIp', `${s.name}-ip`],
      ['nic', 'nic', `${s.name}-nic`],
      ['vm', 'vm', s.name],
    ]);
    expect(steps[2].creates!.nativeId).toBe(`/subscriptions/${sim.subscriptionIds[0]}/resourcegroups/${RG}/providers/microsoft.compute/virtualmachines/${s.name}`);
    expect(plugin.provisionSteps(s)).toEqual(steps);
    expect(plugin.provisionSteps(spec({ placement: { resourceGroup: RG, location: LOCATION, subnetId } })).map((step) => step.name)).toEqual(['nic', 'vm']);
  });

  it('makes a RHEL VM the next inventory lists running with its guest, NIC, public IP, tags and an SSH key only', async () => {
    const s = spec();
    const mark = sim.requests.length;
    await make(s);
    const requests = sim.requests.slice(mark);
    expect(puts(requests).map((r) => [r.creation, r.status])).toEqual([
      ['publicIp', 201],
      ['nic', 201],
      ['vm', 201],
    ]);
    // As Compute serves it back (customData never is): the SSH key only, our tags.
    const { compute } = new AzureClientFactory(resolveAzureConfig(ctx().config), sim.clientSecret).lifecycleFor(sim.subscriptionIds[0]);
    const made = await compute.virtualMachines.get(RG, s.name);
    expect(made.osProfile?.linuxConfiguration).toMatchObject({ disablePasswordAuthentication: true, ssh: { publicKeys: [{ keyData: KEY }] } });
    expect(made.osProfile?.adminPassword).toBeUndefined();
    expect(made.tags).toMatchObject({ team: 'web', [REQUEST_TAG]: s.requestId, [TASK_TAG]: s.taskId });
    expect(made.storageProfile?.osDisk).toMatchObject({ name: `${s.name}-osdisk`, deleteOption: 'Delete' });

    const id = plugin.provisionSteps(s)[2].creates!.nativeId;
    const graph = await graphOfChunks(plugin.collectInventory(ctx(), { kind: 'targeted', nativeIds: [id] }));
    expect(graph.vms[0]).toMatchObject({ name: s.name, powerState: 'running', osFamily: 'rhel', rhelLicenseModel: 'payg' });
    expect(graph.nics.map((nic) => nic.name)).toEqual([`${s.name}-nic`]);
  });

  it('asked again after a crash, finds what it made: the same PUTs answer 200 and no second VM exists', async () => {
    const s = spec({ placement: { resourceGroup: RG, location: LOCATION, subnetId } });
    await make(s);
    const before = sim.vmIds().length;
    const mark = sim.requests.length;
    await make(s);
    expect(puts(sim.requests.slice(mark)).map((r) => [r.creation, r.status])).toEqual([
      ['nic', 200],
      ['vm', 200],
    ]);
    expect(sim.vmIds().length).toBe(before);
  });

  it('hands back the create poller as a continuation another process can wait on without sending the PUT again', async () => {
    const s = spec({ placement: { resourceGroup: RG, location: LOCATION, subnetId } });
    const [nic, vm] = plugin.provisionSteps(s);
    const nicAnswer = await plugin.provisionStep(ctx(), s, nic.name);
    if (nicAnswer.state === 'accepted') await plugin.awaitSettled(ctx(), nicAnswer.continuation);
    const answer = await plugin.provisionStep(ctx(), s, vm.name);
    expect(answer.state).toBe('accepted');
    const continuation = answer.state === 'accepted' ? answer.continuation : '';
    expect(decodeAzureContinuation(continuation)).toMatchObject({ client: 'compute', request: 'createVm', name: s.name, resourceGroup: RG });
    const mark = sim.requests.length;
    await new AzureProviderPlugin().awaitSettled(ctx(), continuation);
    expect(puts(sim.requests.slice(mark))).toEqual([]);
    expect(sim.vmIds().some((id) => id.toLowerCase().endsWith(`/${s.name}`))).toBe(true);
  });

  it("surfaces Azure's refusals and an allocation failure the status URL reports, as ProviderErrors in Azure's words", async () => {
    const bad = spec({ size: { vmSize: 'Standard_Nope_v9' }, placement: { resourceGroup: RG, location: LOCATION, subnetId } });
    await plugin.provisionStep(ctx(), bad, 'nic').then((a) => (a.state === 'accepted' ? plugin.awaitSettled(ctx(), a.continuation) : undefined));
    const refused = await plugin.provisionStep(ctx(), bad, 'vm').catch((e: unknown) => e);
    expect(ProviderError.is(refused) && refused.message).toMatch(/SkuNotAvailable|not available/i);

    sim.failVmOperations({ action: 'create' });
    const failing = spec({ placement: { resourceGroup: RG, location: LOCATION, subnetId } });
    const failed = await make(failing).catch((e: unknown) => e);
    expect(ProviderError.is(failed) && failed.message).toMatch(/AllocationFailed|allocat/i);
  });
});
