import { graphOfChunks, type InventoryGraph } from '@hybridforms/core';
import { AzureSimulator, type SimRequest } from '@hybridforms/testing';
import type { AzureProviderConfig } from './azure-provider.config.js';
import { AzureProviderPlugin } from './azure-provider.plugin.js';
import { simContext } from './__fixtures__/sim-context.js';

// Targeted refreshes through the real SDKs against the simulator: past targetedListThreshold the
// targets come from lists (the subscription's or their resource groups'), never costing more
// requests than a full listing, and yielding the graph their single GETs yield.

const SETUP_MS = 120_000;
const SUBS = ['0a1b2c3d-1111-4aaa-8aaa-000000000001', '0a1b2c3d-2222-4bbb-8bbb-000000000002'];
// Single GETs whatever the count, or lists whatever the count.
const GETS: Partial<AzureProviderConfig> = { targetedListThreshold: 10_000 };
const LISTS: Partial<AzureProviderConfig> = { targetedListThreshold: 0 };

const plugin = new AzureProviderPlugin();
const contextFor = simContext;


function targeted(sim: AzureSimulator, ids: string[], overrides: Partial<AzureProviderConfig>): Promise<InventoryGraph> {
  return graphOfChunks(plugin.collectInventory(contextFor(sim, overrides), { kind: 'targeted', nativeIds: ids.map((id) => id.toLowerCase()) }));
}

/** The graph with every collection in native id order (single GETs settle in any order). */
function sorted(graph: InventoryGraph): InventoryGraph {
  const byId = <R extends { nativeId: string }>(records: R[]) => [...records].sort((a, b) => (a.nativeId < b.nativeId ? -1 : a.nativeId > b.nativeId ? 1 : 0));
  return {
    hosts: byId(graph.hosts),
    vms: byId(graph.vms),
    nics: byId(graph.nics),
    disks: byId(graph.disks),
    images: byId(graph.images),
    networks: byId(graph.networks),
    resourceGroups: byId(graph.resourceGroups),
    partErrors: [...graph.partErrors].sort((a, b) => (a.scope < b.scope ? -1 : 1)),
    notFound: [...graph.notFound].sort(),
  };
}

/** ARM requests only (not the token and openid ones). */
const armRequests = (sim: AzureSimulator): SimRequest[] => sim.requests.filter((r) => r.path.toLowerCase().startsWith('/subscriptions/'));
const isGroupList = (r: SimRequest) => /\/resourcegroups\/[^/]+\/providers\/[^/]+\/[^/]+$/i.test(r.path);
const isSingleGet = (r: SimRequest) => /\/resourcegroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+$/i.test(r.path);
const groupOf = (id: string) => id.split('/')[4].toLowerCase();

describe('Azure targeted collectInventory from lists, against the simulator through the real SDK', () => {
  describe('two paged subscriptions', () => {
    let sim: AzureSimulator;
    let fullListing: number;

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 80, pageSize: 7, subscriptionIds: SUBS });
      await graphOfChunks(plugin.collectInventory(contextFor(sim), { kind: 'full' }));
      fullListing = armRequests(sim).length;
    }, SETUP_MS);
    afterAll(() => sim?.stop());
    afterEach(() => sim.clearFaults());

    it("yields from the subscriptions' lists the graph single GETs yield, a removed VM not found by both", async () => {
      const [a, b] = SUBS.map((s) => sim.vmIds(s));
      const removed = a[40];
      sim.removeVm(removed);
      const ids = [...a.filter((_, i) => i % 3 === 0), removed, ...b.filter((_, i) => i % 4 === 1)];
      const byGets = await targeted(sim, ids, GETS);
      sim.clearRequests();
      const byLists = await targeted(sim, ids, LISTS);
      expect(sorted(byLists)).toEqual(sorted(byGets));
      expect(byLists.notFound).toEqual([removed.toLowerCase()]);
      expect(byLists.vms).toHaveLength(ids.length - 1);
      expect(byLists.partErrors).toEqual([]);
      // Spread over every group, the VMs come from the subscriptions' lists, nothing by a GET.
      const arm = armRequests(sim);
      expect(arm.filter(isSingleGet)).toEqual([]);
      expect(arm.filter((r) => isGroupList(r) && /virtualmachines$/i.test(r.path))).toEqual([]);
      expect(arm.length).toBeLessThan(fullListing);
    });

    it("lists only the targets' resource groups when that costs fewer pages, with the same graph as single GETs", async () => {
      const ids = sim.vmIds(SUBS[0]);
      const group = groupOf(ids.find((id) => /ubuntu|windows/i.test(groupOf(id)))!);
      const targets = ids.filter((id) => groupOf(id) === group);
      expect(targets.length).toBeGreaterThan(1);
      const byGets = await targeted(sim, targets, GETS);
      sim.clearRequests();
      const byLists = await targeted(sim, targets, LISTS);
      expect(sorted(byLists)).toEqual(sorted(byGets));
      expect(byLists.vms).toHaveLength(targets.length);
      const arm = armRequests(sim);
      expect(arm.filter(isSingleGet)).toEqual([]);
      // The status list is the subscription's (no group list has statusOnly); the rest are the group's.
      const subscriptionLists = arm.filter((r) => !isGroupList(r) && !r.path.toLowerCase().endsWith('/vmsizes'));
      expect(subscriptionLists.every((r) => r.query.statusOnly === 'true')).toBe(true);
      expect(new Set(arm.filter(isGroupList).map((r) => groupOf(r.path)))).toEqual(new Set([group]));
    });

    it('reports a failed NIC list as part errors of its subscription only, and nothing of it as not found', async () => {
      const [a, b] = SUBS.map((s) => sim.vmIds(s));
      const gone = [a[41], b[41]];
      for (const id of gone) sim.removeVm(id);
      const ids = [...a.slice(0, 12), ...b.slice(0, 12), ...gone];
      sim.injectFault({ route: 'networkInterfaces', kind: 'error', status: 403, times: 1 });
      const graph = await targeted(sim, ids, LISTS);
      const failedSub = graph.partErrors[0]?.scope.split('/')[2];
      expect(SUBS).toContain(failedSub);
      const okSub = SUBS.find((s) => s !== failedSub)!;
      const ofSub = (sub: string) => ids.filter((id) => id.split('/')[2] === sub).map((id) => id.toLowerCase());
      expect(graph.partErrors.map((e) => e.scope).sort()).toEqual(ofSub(failedSub).map((id) => `vm ${id}`).sort());
      expect(graph.partErrors[0].message).toContain('listing network interfaces');
      expect(graph.notFound).toEqual(gone.filter((id) => id.includes(okSub)).map((id) => id.toLowerCase()));
      expect(graph.vms.map((vm) => vm.nativeId).sort()).toEqual(ofSub(okSub).filter((id) => !graph.notFound.includes(id)).sort());
    });
  });

  describe('a burst of 2,000 targets of a 5,000-VM subscription (pages of 1,000), under ARM read throttling', () => {
    let sim: AzureSimulator;
    let fullListing: number;

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 5000, pageSize: 1000, rateLimit: { bucket: 250, refillPerSecond: 25 } });
      const full = await graphOfChunks(plugin.collectInventory(contextFor(sim), { kind: 'full' }));
      expect(full.vms).toHaveLength(5000);
      fullListing = armRequests(sim).length;
      // Let the read bucket fill up again.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }, SETUP_MS);
    afterAll(() => sim?.stop());

    it('costs fewer requests than a full listing, and far fewer than one per target', async () => {
      const ids = sim.vmIds().filter((_, i) => i % 5 < 2);
      expect(ids).toHaveLength(2000);
      sim.clearRequests();
      const graph = await targeted(sim, ids, {});
      expect(graph.vms).toHaveLength(2000);
      expect(graph.partErrors).toEqual([]);
      const requests = armRequests(sim).length;
      expect(requests).toBeLessThanOrEqual(fullListing);
      expect(requests).toBeLessThan(ids.length / 50);
    });

    it('takes five such refreshes at once from the read bucket without a single 429', async () => {
      const ids = sim.vmIds();
      sim.clearRequests();
      const graphs = await Promise.all([0, 1, 2, 3, 4].map((k) => targeted(sim, ids.filter((_, i) => i % 5 === k && i % 2 === 0), {})));
      expect(graphs.map((g) => g.vms.length)).toEqual([500, 500, 500, 500, 500]);
      const arm = armRequests(sim);
      expect(arm.filter((r) => r.status === 429)).toEqual([]);
      expect(arm.length).toBeLessThan(250);
    });
  });
});
