import { graphOfChunks, ProviderError, ProviderErrorCode, licenseModelFor, type InventoryChunk, type InventoryGraph, type LicenseModel, type ProviderContext, type ProviderLogger, type VmRecord } from '@hybridforms/core';
import { AzureSimulator, type SimRequest } from '@hybridforms/testing';
import type { AzureCredentials, AzureProviderConfig } from './azure-provider.config.js';
import { AzureProviderPlugin } from './azure-provider.plugin.js';

// The plugin through the real SDK packages (identity, arm-compute, arm-network, arm-resources)
// against the HTTPS simulator: wire shapes, paging, auth, throttling and faults as ARM has them.

const SETUP_MS = 30_000;

const SUB_A = '0a1b2c3d-1111-4aaa-8aaa-000000000001';
const SUB_B = '0a1b2c3d-2222-4bbb-8bbb-000000000002';
const PAGE = 7;

const quietLogger: ProviderLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };

function configFor(sim: AzureSimulator, overrides: Partial<AzureProviderConfig> = {}): AzureProviderConfig {
  return {
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    subscriptionIds: sim.subscriptionIds,
    resourceManagerUrl: sim.url,
    authorityHost: sim.url,
    caCertificate: sim.caCertificate,
    defaultRetryAfterSeconds: 0,
    ...overrides,
  };
}

function contextFor(sim: AzureSimulator, overrides: Partial<AzureProviderConfig> = {}, secret = sim.clientSecret): ProviderContext<AzureProviderConfig, AzureCredentials> {
  return { providerId: 'it', config: configFor(sim, overrides), credentials: { clientSecret: secret }, logger: quietLogger };
}

const plugin = new AzureProviderPlugin();

async function* replay(chunks: InventoryChunk[]): AsyncGenerator<InventoryChunk> {
  yield* chunks;
}

/** ARM requests only (not the token and openid ones). */
function armRequests(sim: AzureSimulator): SimRequest[] {
  return sim.requests.filter((r) => r.path.toLowerCase().startsWith('/subscriptions/'));
}

function isList(r: SimRequest, resource: string, statusOnly = false): boolean {
  return r.path.toLowerCase().endsWith(`/providers/${resource.toLowerCase()}`) && (r.query.statusOnly === 'true') === statusOnly;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!ProviderError.is(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('Azure provider plugin against the simulator, through the real SDK', () => {
  describe('a full refresh of a paged subscription', () => {
    let sim: AzureSimulator;
    let graph: InventoryGraph;

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 40, pageSize: PAGE, subscriptionIds: [SUB_A] });
      graph = await graphOfChunks(plugin.collectInventory(contextFor(sim), { kind: 'full' }));
    }, SETUP_MS);
    afterAll(() => sim?.stop());

    it('collects every VM across the pages, once each, by lower-cased resource id', () => {
      expect(graph.vms).toHaveLength(40);
      expect(new Set(graph.vms.map((vm) => vm.nativeId))).toEqual(new Set(sim.vmIds().map((id) => id.toLowerCase())));
      expect(graph.partErrors).toEqual([]);
    });

    it('joins every VM with its power state, size, NICs and disks', () => {
      expect(graph.vms.every((vm) => vm.powerState !== 'unknown')).toBe(true);
      expect(graph.vms.every((vm) => vm.cpuCount !== null && vm.memoryMb !== null)).toBe(true);
      for (const vm of graph.vms) {
        expect(graph.nics.filter((nic) => nic.vmNativeId === vm.nativeId).length).toBeGreaterThan(0);
        expect(graph.disks.filter((disk) => disk.vmNativeId === vm.nativeId && disk.role === 'os')).toHaveLength(1);
      }
      expect(graph.nics.some((nic) => nic.publicIps.length > 0)).toBe(true);
      expect(graph.networks.length).toBeGreaterThan(0);
      expect(graph.resourceGroups.length).toBeGreaterThan(0);
      expect(new Set(graph.vms.map((vm) => vm.osFamily))).toEqual(new Set(['rhel', 'windows', 'linux-other', 'unknown']));
    });

    it('costs O(pages) requests: one per list page (NICs twice: their addresses go with the VMs) and one size list per location, never one per VM', () => {
      const arm = armRequests(sim);
      const pages = (n: number) => Math.max(1, Math.ceil(n / PAGE));
      expect(arm.filter((r) => isList(r, 'Microsoft.Compute/virtualMachines'))).toHaveLength(pages(40));
      expect(arm.filter((r) => isList(r, 'Microsoft.Compute/virtualMachines', true))).toHaveLength(pages(40));
      expect(arm.filter((r) => isList(r, 'Microsoft.Network/networkInterfaces'))).toHaveLength(2 * pages(graph.nics.length));
      expect(arm.filter((r) => isList(r, 'Microsoft.Compute/disks'))).toHaveLength(pages(graph.disks.length));
      expect(arm.filter((r) => r.path.toLowerCase().endsWith('/resourcegroups'))).toHaveLength(pages(graph.resourceGroups.length));
      const locations = new Set(graph.vms.map((vm) => vm.location));
      expect(arm.filter((r) => r.path.toLowerCase().endsWith('/vmsizes'))).toHaveLength(locations.size);
      // Nothing addressed a single VM, NIC, IP or disk.
      expect(arm.filter((r) => /\/resourcegroups\/[^/]+\/providers\//i.test(r.path))).toEqual([]);
      const publicIpPages = arm.filter((r) => isList(r, 'Microsoft.Network/publicIPAddresses')).length;
      const expected = 2 * pages(40) + 2 * pages(graph.nics.length) + pages(graph.disks.length) + pages(graph.resourceGroups.length) + locations.size + publicIpPages;
      expect(arm).toHaveLength(expected);
      expect(arm.every((r) => r.status === 200)).toBe(true);
      // One token for the whole refresh (after MSAL's one openid-configuration read).
      expect(sim.requests.filter((r) => /oauth2\/v2\.0\/token$/.test(r.path))).toHaveLength(1);
    });
  });

  describe('classification of every RHEL case', () => {
    let sim: AzureSimulator;
    // With the license model the persister decides for a VM seen for the first time.
    let byName: (name: string) => VmRecord & { licenseModel: LicenseModel | null };
    let graph: InventoryGraph;
    const RG = 'rg-Classify';

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 1, pageSize: PAGE, subscriptionIds: [SUB_A] });
      const add = (name: string, spec: Omit<Parameters<AzureSimulator['addVm']>[1], 'name'>) =>
        sim.addVm(SUB_A, { name, resourceGroup: RG, location: 'westeurope', ...spec });
      const redhat = (offer: string, sku: string, version: string, exactVersion?: string) => ({ publisher: 'RedHat', offer, sku, version, exactVersion });
      add('payg-94', {
        imageReference: redhat('RHEL', '9-lvm-gen2', '9.4.2024061414'),
        guestOsName: 'redhat',
        guestOsVersion: '9.4',
        vmAgentVersion: '2.10.0.8',
        publicIp: true,
        dataDisks: 2,
        vmSize: 'Standard_D4s_v5',
        tags: { env: 'prod', owner: 'team-a' },
        timeCreated: '2024-05-02T10:11:12.0000000+00:00',
      });
      add('payg-latest', { imageReference: redhat('RHEL', '8-lvm-gen2', 'latest', '8.8.2023081717'), guestOsName: null, guestOsVersion: null, vmAgentVersion: null });
      add('payg-sku-only', { imageReference: redhat('RHEL', '8_10', 'latest'), guestOsName: null, vmAgentVersion: null });
      add('sap-ha', { imageReference: redhat('RHEL-SAP-HA', '810sapha-gen2', 'latest'), guestOsName: null, vmAgentVersion: null });
      add('sap-ha-94', { imageReference: redhat('RHEL-SAP-HA', '94sapha-gen2', 'latest'), guestOsName: null, vmAgentVersion: null });
      add('byos-gold', {
        imageReference: { publisher: 'redhat', offer: 'rhel-byos', sku: 'rhel-lvm87', version: '8.7.2023021503' },
        plan: { name: 'rhel-lvm87', publisher: 'redhat', product: 'rhel-byos' },
        guestOsName: 'redhat',
        guestOsVersion: '8.7',
      });
      add('payg-ahb-byos', { imageReference: redhat('RHEL', '8_10', '8.10.2025011519'), licenseType: 'RHEL_BYOS', guestOsName: 'redhat', guestOsVersion: '8.10' });
      add('byos-ahb-payg', {
        imageReference: { publisher: 'redhat', offer: 'rhel-byos', sku: 'rhel-lvm8', version: 'latest', exactVersion: '8.9.2024020216' },
        plan: { name: 'rhel-lvm8', publisher: 'redhat', product: 'rhel-byos' },
        licenseType: 'RHEL_BASE',
      });
      const gallery = `/subscriptions/${SUB_A}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/corp/images/rhel9/versions/1.2.0`;
      add('custom-rhel', { imageReference: { id: gallery }, guestOsName: 'redhat', guestOsVersion: '9.2', licenseType: 'None' });
      add('custom-nothing', { imageReference: { id: gallery }, guestOsName: null, guestOsVersion: null, vmAgentVersion: null });
      add('rhel-deallocated', { imageReference: redhat('RHEL', '9_4', 'latest', '9.4.2024061414'), powerState: 'deallocated', guestOsName: 'redhat', guestOsVersion: '9.4' });
      add('windows', {
        osType: 'Windows',
        imageReference: { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2022-datacenter-azure-edition', version: 'latest' },
        licenseType: 'Windows_Server',
        guestOsName: 'Windows Server 2022 Datacenter Azure Edition',
        guestOsVersion: 'Microsoft Windows NT 10.0.20348.0',
        vmAgentVersion: '2.7.41491.1102',
      });
      add('ubuntu', { imageReference: { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' }, guestOsName: 'ubuntu', guestOsVersion: '22.04' });
      add('stopped-rhel', { imageReference: redhat('RHEL', '7-LVM', 'latest'), powerState: 'stopped', guestOsName: null, vmAgentVersion: null });
      graph = await graphOfChunks(plugin.collectInventory(contextFor(sim), { kind: 'full' }));
      byName = (name) => {
        const vm = graph.vms.find((v) => v.name === name);
        if (!vm) throw new Error(`no VM ${name}`);
        return { ...vm, licenseModel: licenseModelFor(vm.osFamily, vm.rhelLicenseModel) };
      };
    }, SETUP_MS);
    afterAll(() => sim?.stop());

    it.each([
      ['payg-94', { osFamily: 'rhel', osName: 'Red Hat Enterprise Linux', osVersion: '9.4', osSource: 'guest-agent', licenseModel: 'payg', licenseType: null }],
      ['payg-latest', { osFamily: 'rhel', osVersion: '8.8', osSource: 'image', licenseModel: 'payg' }],
      ['payg-sku-only', { osFamily: 'rhel', osVersion: '8.10', osSource: 'image', licenseModel: 'payg' }],
      ['sap-ha', { osFamily: 'rhel', osVersion: '8.10', osSource: 'image', licenseModel: 'payg' }],
      ['sap-ha-94', { osFamily: 'rhel', osVersion: '9.4', osSource: 'image', licenseModel: 'payg' }],
      ['byos-gold', { osFamily: 'rhel', osVersion: '8.7', osSource: 'guest-agent', licenseModel: 'byos' }],
      ['payg-ahb-byos', { osFamily: 'rhel', osVersion: '8.10', licenseModel: 'byos', licenseType: 'RHEL_BYOS' }],
      ['byos-ahb-payg', { osFamily: 'rhel', osVersion: '8.9', licenseModel: 'payg', licenseType: 'RHEL_BASE' }],
      ['custom-rhel', { osFamily: 'rhel', osVersion: '9.2', osSource: 'guest-agent', licenseModel: 'byos', licenseType: null }],
      ['custom-nothing', { osFamily: 'unknown', osName: null, osVersion: null, osSource: null, licenseModel: null, rhelLicenseModel: 'byos' }],
      ['rhel-deallocated', { osFamily: 'rhel', osVersion: '9.4', osSource: 'image', licenseModel: 'payg', powerState: 'deallocated' }],
      ['windows', { osFamily: 'windows', osSource: 'guest-agent', licenseModel: null, licenseType: 'Windows_Server', guestAgentVersion: '2.7.41491.1102' }],
      ['ubuntu', { osFamily: 'linux-other', osName: 'ubuntu', osVersion: '22.04', osSource: 'guest-agent', licenseModel: null }],
      ['stopped-rhel', { osFamily: 'rhel', osVersion: '7', osSource: 'image', powerState: 'stopped' }],
    ])('classifies %s', (name, expected) => {
      expect(byName(name)).toMatchObject(expected);
    });

    it('keeps the facts of a VM: size with cores and memory, tags, creation time, agent, image', () => {
      const vm = byName('payg-94');
      expect(vm).toMatchObject({
        size: 'Standard_D4s_v5',
        cpuCount: 4,
        memoryMb: 16384,
        tags: { env: 'prod', owner: 'team-a' },
        resourceGroup: 'rg-classify',
        subscriptionId: SUB_A,
        location: 'westeurope',
        guestAgentVersion: '2.10.0.8',
        powerState: 'running',
        imageNativeId: 'marketplace:redhat:rhel:9-lvm-gen2:9.4.2024061414',
      });
      expect(vm.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(vm.createdAtProvider?.toISOString()).toBe('2024-05-02T10:11:12.000Z');
      expect(byName('payg-latest').imageNativeId).toBe('marketplace:redhat:rhel:8-lvm-gen2:8.8.2023081717');
      expect(byName('custom-rhel').imageNativeId).toBe(`/subscriptions/${SUB_A}/resourcegroups/rg-images/providers/microsoft.compute/galleries/corp/images/rhel9/versions/1.2.0`);
    });

    it('joins the public IP through the NIC and lists OS and data disks', () => {
      const vm = byName('payg-94');
      const nics = graph.nics.filter((n) => n.vmNativeId === vm.nativeId);
      expect(nics).toHaveLength(1);
      expect(nics[0].publicIps).toHaveLength(1);
      expect(nics[0].privateIps).toHaveLength(1);
      expect(nics[0].networkNativeId).toMatch(/\/subnets\//);
      const disks = graph.disks.filter((d) => d.vmNativeId === vm.nativeId);
      expect(disks.map((d) => d.role).sort()).toEqual(['data', 'data', 'os']);
      expect(disks.every((d) => d.sizeGb !== null && d.storageType !== null)).toBe(true);
    });
  });

  describe('faults, throttling and credentials', () => {
    let sim: AzureSimulator;

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 40, pageSize: PAGE, subscriptionIds: [SUB_A, SUB_B] });
    }, SETUP_MS);
    afterAll(() => sim?.stop());
    beforeEach(() => {
      sim.clearFaults();
      sim.clearRequests();
    });

    it('collects both subscriptions, and reports a failing one as a part error while the other completes', async () => {
      const both = await graphOfChunks(plugin.collectInventory(contextFor(sim), { kind: 'full' }));
      expect(both.vms).toHaveLength(80);

      sim.clearRequests();
      sim.injectFault({ route: 'virtualMachines', page: 2, kind: 'error', status: 403, times: 1 });
      const chunks: InventoryChunk[] = [];
      for await (const chunk of plugin.collectInventory(contextFor(sim), { kind: 'full' })) chunks.push(chunk);
      const graph = await graphOfChunks(replay(chunks));
      expect(graph.partErrors).toHaveLength(1);
      const [partError] = graph.partErrors;
      const failed = partError.scope.replace('subscription ', '');
      expect([SUB_A, SUB_B]).toContain(failed);
      expect(partError).toMatchObject({ code: ProviderErrorCode.Forbidden, message: expect.stringContaining(failed) });
      // The other one whole; of the failed one, what it had yielded before the failing page stays
      // (its first VM page: the stream saves chunk by chunk, there is no "no half list" any more),
      // nothing after it, and it is not reported complete: the refresh is partial, archives nothing.
      const other = failed === SUB_A ? SUB_B : SUB_A;
      expect(graph.vms.filter((vm) => vm.subscriptionId === other)).toHaveLength(40);
      expect(graph.vms.filter((vm) => vm.subscriptionId === failed)).toHaveLength(PAGE);
      expect([...graph.nics, ...graph.disks].every((r) => !r.nativeId.includes(failed))).toBe(true);
      expect(chunks.flatMap((c) => c.completedParts ?? [])).toEqual([`subscription ${other}`]);
      const failedAt = chunks.findIndex((c) => (c.partErrors ?? []).length > 0);
      expect(chunks.slice(failedAt + 1).flatMap((c) => [...(c.vms ?? []), ...(c.nics ?? []), ...(c.disks ?? [])]).filter((r) => r.nativeId.includes(failed))).toEqual([]);
    });

    it('reports a subscription ARM does not know as a part error (not found)', async () => {
      const unknown = '0a1b2c3d-9999-4999-8999-000000000009';
      const graph = await graphOfChunks(plugin.collectInventory(contextFor(sim, { subscriptionIds: [SUB_A, unknown] }), { kind: 'full' }));
      expect(graph.vms).toHaveLength(40);
      expect(graph.partErrors).toEqual([{ scope: `subscription ${unknown}`, code: ProviderErrorCode.NotFound, message: expect.stringMatching(/subscription was not found/) }]);
    });

    it('recovers from 429s with Retry-After 0 through the SDK retries alone', async () => {
      sim.injectFault({ route: 'virtualMachines', page: 2, kind: 'throttle', retryAfterSeconds: 0, times: 2 });
      const graph = await graphOfChunks(plugin.collectInventory(contextFor(sim, { subscriptionIds: [SUB_A] }), { kind: 'full' }));
      expect(graph.vms).toHaveLength(40);
      expect(graph.partErrors).toEqual([]);
      expect(sim.requests.filter((r) => r.status === 429)).toHaveLength(2);
    });

    it('fails with Throttled (retryable) once the 429s outlast maxRetries, returning nothing partial', async () => {
      sim.injectFault({ route: 'virtualMachines', page: 3, kind: 'throttle', retryAfterSeconds: 0, times: 20 });
      const error = await failure(graphOfChunks(plugin.collectInventory(contextFor(sim, { subscriptionIds: [SUB_A], maxRetries: 3 }), { kind: 'full' })));
      expect(error).toMatchObject({ code: ProviderErrorCode.Throttled, retryable: true });
      expect(error.message).toMatch(new RegExp(`listing virtual machines in subscription ${SUB_A}`));
      // The first try and maxRetries retries, no more: no retry loop around the SDK's.
      expect(sim.requests.filter((r) => r.status === 429)).toHaveLength(4);
      // The subscription's other lists stopped paging when this one failed (requests already on
      // the wire may still land).
      await new Promise((resolve) => setTimeout(resolve, 100));
      const settled = sim.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(sim.requests).toHaveLength(settled);
    });

    it('gives a 429 without Retry-After our default, so the SDK retries it after that delay', async () => {
      sim.injectFault({ route: 'disks', kind: 'throttle', retryAfterSeconds: null, times: 1 });
      const started = Date.now();
      const graph = await graphOfChunks(plugin.collectInventory(contextFor(sim, { subscriptionIds: [SUB_A], defaultRetryAfterSeconds: 1 }), { kind: 'full' }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(graph.partErrors).toEqual([]);
      const diskRequests = sim.requests.filter((r) => isList(r, 'Microsoft.Compute/disks'));
      expect(diskRequests[0].status).toBe(429);
      expect(diskRequests.slice(1).every((r) => r.status === 200)).toBe(true);
    });

    it('without our default a 429 lacking Retry-After would not be retried (maxRetries still bounds it)', async () => {
      sim.injectFault({ route: 'disks', kind: 'throttle', retryAfterSeconds: null, times: 10 });
      const error = await failure(graphOfChunks(plugin.collectInventory(contextFor(sim, { subscriptionIds: [SUB_A], maxRetries: 2 }), { kind: 'full' })));
      expect(error.code).toBe(ProviderErrorCode.Throttled);
      expect(sim.requests.filter((r) => r.status === 429)).toHaveLength(3);
    });

    it('fails with MalformedResponse when a page in the middle is not valid JSON', async () => {
      sim.injectFault({ route: 'virtualMachines', page: 3, kind: 'malformed' });
      const error = await failure(graphOfChunks(plugin.collectInventory(contextFor(sim, { subscriptionIds: [SUB_A] }), { kind: 'full' })));
      expect(error).toMatchObject({ code: ProviderErrorCode.MalformedResponse, retryable: false });
      expect(error.message).toMatch(/listing virtual machines/);
    });

    it('fails with Temporary when a page in the middle keeps answering 500 after the retries', async () => {
      sim.injectFault({ route: 'networkInterfaces', page: 2, kind: 'error', status: 500, times: Infinity });
      const error = await failure(graphOfChunks(plugin.collectInventory(contextFor(sim, { subscriptionIds: [SUB_A], maxRetries: 1 }), { kind: 'full' })));
      expect(error).toMatchObject({ code: ProviderErrorCode.Temporary, retryable: true });
      expect(error.message).toMatch(/listing network interfaces/);
      expect(sim.requests.filter((r) => r.status === 500)).toHaveLength(2);
    });

    it('survives a dropped connection (the SDK retries network errors)', async () => {
      sim.injectFault({ route: 'publicIPAddresses', kind: 'drop', times: 1 });
      const graph = await graphOfChunks(plugin.collectInventory(contextFor(sim, { subscriptionIds: [SUB_A] }), { kind: 'full' }));
      expect(graph.vms).toHaveLength(40);
      expect(sim.requests.filter((r) => r.status === 0)).toHaveLength(1);
    });

    describe('validate', () => {
      it('proves access to every subscription', async () => {
        const { config, credentials } = contextFor(sim);
        await expect(plugin.validate(config, credentials, quietLogger)).resolves.toBeUndefined();
        expect(armRequests(sim).map((r) => r.path.split('/')[2]).sort()).toEqual([SUB_A, SUB_B].sort());
      });

      it('refuses a wrong secret with InvalidCredentials that names AADSTS7000215, never the secret', async () => {
        const wrong = 'Wr0ng~Secret.Value_123456789';
        const error = await failure(plugin.validate(configFor(sim), { clientSecret: wrong }, quietLogger));
        expect(error.code).toBe(ProviderErrorCode.InvalidCredentials);
        expect(error.message).toMatch(/AADSTS7000215/);
        expect(error.message).not.toContain(wrong);
        expect(error.message).not.toContain(sim.clientSecret);
        expect(armRequests(sim)).toEqual([]);
      });

      it('refuses an unknown subscription with NotFound', async () => {
        const unknown = '0a1b2c3d-9999-4999-8999-000000000009';
        const error = await failure(plugin.validate(configFor(sim, { subscriptionIds: [unknown] }), { clientSecret: sim.clientSecret }, quietLogger));
        expect(error.code).toBe(ProviderErrorCode.NotFound);
        expect(error.message).toContain(unknown);
      });

      it('says Unreachable when the simulator CA is not trusted (no NODE_EXTRA_CA_CERTS involved)', async () => {
        const config = configFor(sim);
        delete config.caCertificate;
        const error = await failure(plugin.validate(config, { clientSecret: sim.clientSecret }, quietLogger));
        expect(error.code).toBe(ProviderErrorCode.Unreachable);
        expect(error.message).toMatch(/caCertificate/);
        expect(error.message).not.toContain(sim.clientSecret);
      });

      it('says Unreachable when nothing listens', async () => {
        const config = configFor(sim, { resourceManagerUrl: 'https://127.0.0.1:1', authorityHost: 'https://127.0.0.1:1', maxRetries: 0 });
        const error = await failure(plugin.validate(config, { clientSecret: sim.clientSecret }, quietLogger));
        expect(error).toMatchObject({ code: ProviderErrorCode.Unreachable, retryable: true });
      });
    });

    it('refreshes only the VMs asked for by single GETs (up to targetedListThreshold), and reports a removed VM as notFound', async () => {
      const ids = sim.vmIds(SUB_A);
      const [kept, alsoKept, removed] = [ids[3], ids[10], ids[20]];
      sim.removeVm(removed);
      sim.clearRequests();
      const graph = await graphOfChunks(plugin.collectInventory(contextFor(sim, { targetedListThreshold: 3 }), { kind: 'targeted', nativeIds: [kept, alsoKept, removed].map((id) => id.toLowerCase()) }));
      expect(graph.vms.map((vm) => vm.nativeId).sort()).toEqual([kept, alsoKept].map((id) => id.toLowerCase()).sort());
      expect(graph.notFound).toEqual([removed.toLowerCase()]);
      expect(graph.partErrors).toEqual([]);
      expect(graph.vms.every((vm) => vm.powerState !== 'unknown' && vm.cpuCount !== null)).toBe(true);
      for (const vm of graph.vms) {
        expect(graph.nics.filter((n) => n.vmNativeId === vm.nativeId).length).toBeGreaterThan(0);
        expect(graph.disks.some((d) => d.vmNativeId === vm.nativeId && d.role === 'os')).toBe(true);
      }
      const arm = armRequests(sim);
      // No list at all: VM GETs with $expand=instanceView, then its NICs, IPs and disks by id.
      expect(arm.filter((r) => !/\/resourcegroups\/[^/]+\/providers\//i.test(r.path) && !r.path.toLowerCase().endsWith('/vmsizes'))).toEqual([]);
      const vmGets = arm.filter((r) => /\/virtualmachines\/[^/]+$/i.test(r.path));
      expect(vmGets).toHaveLength(3);
      expect(vmGets.every((r) => r.query.$expand === 'instanceView')).toBe(true);
      // Sub B was not asked about.
      expect(arm.every((r) => r.path.includes(SUB_A))).toBe(true);
    });
  });

  describe('pacing by the remaining-reads header', () => {
    let sim: AzureSimulator;

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 40, pageSize: PAGE, subscriptionIds: [SUB_A], rateLimit: { bucket: 20, refillPerSecond: 25 } });
    }, SETUP_MS);
    afterAll(() => sim?.stop());

    it('slows a subscription down as its read bucket empties, instead of running into 429s', async () => {
      const graph = await graphOfChunks(plugin.collectInventory(contextFor(sim), { kind: 'full' }));
      expect(graph.vms).toHaveLength(40);
      expect(graph.partErrors).toEqual([]);
      const arm = armRequests(sim);
      expect(arm.length).toBeGreaterThan(20);
      // Without pacing this estate runs into 429s (the bucket of 20 is drained by the first burst).
      expect(arm.filter((r) => r.status === 429)).toEqual([]);
    });
  });
});
