import { graphOfChunks, ProviderErrorCode, type InventoryChunk, type InventoryGraph } from '@hybridforms/core';
import { AzureSimulator, type SimRequest } from '@hybridforms/testing';
import { AzureProviderPlugin } from './azure-provider.plugin.js';
import { simContext } from './__fixtures__/sim-context.js';

// A full collectInventory through the real SDKs against the HTTPS simulator: the same inventory
// whatever the page size (as when every list is one page), in chunks no larger than an ARM page, emitted while the
// lists are still paging, subscriptions in parallel within their bound, a failed subscription a
// part error.

const SETUP_MS = 60_000;
const PAGE = 7;
const SUBS = [1, 2, 3, 4, 5].map((n) => `0a1b2c3d-${String(n).repeat(4)}-4aaa-8aaa-00000000000${n}`);

const plugin = new AzureProviderPlugin();
const contextFor = simContext;


const isVmListPage = (r: SimRequest) => /\/providers\/microsoft\.compute\/virtualmachines$/i.test(r.path) && r.query.statusOnly !== 'true';
const COLLECTIONS = ['hosts', 'vms', 'nics', 'disks', 'images', 'networks', 'resourceGroups'] as const;

async function drain(stream: AsyncIterable<InventoryChunk>): Promise<InventoryChunk[]> {
  const chunks: InventoryChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function merged(chunks: InventoryChunk[]): InventoryGraph {
  const graph: InventoryGraph = { hosts: [], vms: [], nics: [], disks: [], images: [], networks: [], resourceGroups: [], partErrors: [], notFound: [] };
  for (const chunk of chunks) {
    for (const name of COLLECTIONS) (graph[name] as unknown[]).push(...(chunk[name] ?? []));
    graph.partErrors.push(...(chunk.partErrors ?? []));
  }
  return graph;
}

const byId = <R extends { nativeId: string }>(records: R[]) => [...records].sort((a, b) => (a.nativeId < b.nativeId ? -1 : 1));

describe('Azure full collectInventory against the simulator, through the real SDK', () => {
  describe('two paged subscriptions', () => {
    let sim: AzureSimulator;
    // The same estate (same seed) served in pages of one list each: the reference.
    let whole: AzureSimulator;

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 40, pageSize: PAGE, subscriptionIds: SUBS.slice(0, 2) });
      whole = await AzureSimulator.start({ vmCount: 40, pageSize: 1000, subscriptionIds: SUBS.slice(0, 2) });
    }, SETUP_MS);
    afterAll(async () => {
      await sim?.stop();
      await whole?.stop();
    });

    it('streams exactly the inventory a read of one page per list returns, each record once, VMs carrying their NICs addresses', async () => {
      const graph = await graphOfChunks(plugin.collectInventory(contextFor(whole), { kind: 'full' }));
      expect(graph.partErrors).toEqual([]);
      expect(whole.requests.filter(isVmListPage)).toHaveLength(2);
      const chunks = await drain(plugin.collectInventory(contextFor(sim), { kind: 'full' }));
      const streamed = merged(chunks);
      expect(streamed.partErrors).toEqual([]);
      expect(streamed.vms).toHaveLength(80);
      for (const name of COLLECTIONS) {
        // Images and subnets are yielded once per subscription that uses them (the persister keeps the first).
        const shared = name === 'images' || name === 'networks';
        const all: { nativeId: string }[] = streamed[name];
        const records = shared ? [...new Map(all.map((r) => [r.nativeId, r] as const)).values()] : all;
        if (!shared) expect(new Set(records.map((r) => r.nativeId)).size).toBe(records.length);
        expect(byId(records).map((r) => ({ ...r, ipAddresses: undefined }))).toEqual(byId<{ nativeId: string }>(graph[name]).map((r) => ({ ...r, ipAddresses: undefined })));
      }
      for (const vm of streamed.vms) {
        const nics = graph.nics.filter((nic) => nic.vmNativeId === vm.nativeId);
        const primaryFirst = [...nics].sort((a, b) => Number(b.primary) - Number(a.primary) || (a.nativeId < b.nativeId ? -1 : 1));
        const expected = [...new Set([...primaryFirst.flatMap((n) => n.privateIps), ...primaryFirst.flatMap((n) => n.publicIps)])];
        expect([vm.nativeId, vm.ipAddresses]).toEqual([vm.nativeId, expected]);
      }
      expect(chunks.flatMap((c) => c.completedParts ?? []).sort()).toEqual(SUBS.slice(0, 2).map((s) => `subscription ${s}`).sort());
    });

    it('never yields a chunk larger than an ARM page, and yields whatever a record references before it', async () => {
      const chunks = await drain(plugin.collectInventory(contextFor(sim), { kind: 'full' }));
      for (const chunk of chunks) for (const name of COLLECTIONS) expect((chunk[name] ?? []).length).toBeLessThanOrEqual(PAGE);
      const seen = new Set<string>();
      for (const chunk of chunks) {
        for (const name of ['resourceGroups', 'images', 'networks', 'vms'] as const) for (const r of chunk[name] ?? []) seen.add(r.nativeId);
        for (const vm of chunk.vms ?? []) if (vm.imageNativeId) expect(seen.has(vm.imageNativeId)).toBe(true);
        for (const nic of chunk.nics ?? []) {
          if (nic.vmNativeId) expect(seen.has(nic.vmNativeId)).toBe(true);
          if (nic.networkNativeId) expect(seen.has(nic.networkNativeId)).toBe(true);
        }
        for (const disk of chunk.disks ?? []) if (disk.vmNativeId) expect(seen.has(disk.vmNativeId)).toBe(true);
      }
    });
  });

  describe('one large subscription read by a slow reader', () => {
    let sim: AzureSimulator;

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 70, pageSize: PAGE, subscriptionIds: SUBS.slice(0, 1) });
    }, SETUP_MS);
    afterAll(() => sim?.stop());

    it('yields VM pages while the VM list is still paging, and pages no further ahead than the reader lets it', async () => {
      const totalPages = Math.ceil(70 / PAGE);
      sim.clearRequests();
      const iterator = plugin.collectInventory(contextFor(sim, { subscriptionConcurrency: 1 }), { kind: 'full' })[Symbol.asyncIterator]();
      let first: InventoryChunk | undefined;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        if ((next.value.vms ?? []).length > 0) {
          first = next.value;
          break;
        }
      }
      expect(first?.vms?.length).toBe(PAGE);
      // The reader stops reading: the subscription pages on only until the channel is full.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const fetched = sim.requests.filter(isVmListPage).length;
      expect(fetched).toBeLessThan(totalPages);
      expect(fetched).toBeLessThanOrEqual(1 + 2 + 1); // the one read, a full channel, one waiting to be pushed
      await iterator.return?.(undefined);
    });
  });

  describe('many subscriptions', () => {
    let sim: AzureSimulator;

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 20, pageSize: PAGE, subscriptionIds: SUBS, latencyMs: 15 });
    }, SETUP_MS);
    afterAll(() => sim?.stop());
    afterEach(() => sim.clearFaults());

    it.each([1, 2, 3])('never has more than subscriptionConcurrency=%i subscriptions in flight at ARM', async (bound) => {
      sim.resetConcurrency();
      const streamed = merged(await drain(plugin.collectInventory(contextFor(sim, { subscriptionConcurrency: bound }), { kind: 'full' })));
      expect(streamed.vms).toHaveLength(20 * SUBS.length);
      expect(sim.peakConcurrentSubscriptions).toBe(bound);
    });

    it('keeps the bound when a subscription fails mid-paging: its sibling lists settle before the next subscription starts', async () => {
      sim.resetConcurrency();
      // The status list fails on its last page while a NIC nextLink request (which the SDK does not
      // cancel) is still being served: the subscription keeps its slot until that one is answered.
      sim.injectFault({ route: 'virtualMachinesStatus', kind: 'error', status: 403, page: 3, times: 1 });
      sim.injectFault({ route: 'networkInterfaces', kind: 'slow', delayMs: 400, page: 2, times: 1 });
      const streamed = merged(await drain(plugin.collectInventory(contextFor(sim, { subscriptionConcurrency: 1 }), { kind: 'full' })));
      expect(streamed.partErrors).toEqual([expect.objectContaining({ scope: `subscription ${SUBS[0]}` })]);
      expect(sim.peakConcurrentSubscriptions).toBe(1);
    });

    it('turns a subscription failing mid-paging into a part error, keeps what it had yielded, and completes the others', async () => {
      sim.injectFault({ route: 'virtualMachines', kind: 'error', status: 403, page: 2, times: 1 });
      const chunks = await drain(plugin.collectInventory(contextFor(sim, { subscriptionConcurrency: 2 }), { kind: 'full' }));
      const streamed = merged(chunks);
      expect(streamed.partErrors).toHaveLength(1);
      expect(streamed.partErrors[0]).toMatchObject({ code: ProviderErrorCode.Forbidden, message: expect.stringContaining('listing virtual machines') });
      const failed = streamed.partErrors[0].scope.replace('subscription ', '');
      expect(chunks.flatMap((c) => c.completedParts ?? [])).toHaveLength(SUBS.length - 1);
      expect(chunks.flatMap((c) => c.completedParts ?? [])).not.toContain(`subscription ${failed}`);
      // Its first page was yielded (current data), and nothing after the failure.
      const ofFailed = streamed.vms.filter((vm) => vm.subscriptionId === failed.toLowerCase());
      expect(ofFailed).toHaveLength(PAGE);
      expect(streamed.nics.filter((nic) => nic.nativeId.includes(failed.toLowerCase()))).toEqual([]);
      expect(streamed.vms).toHaveLength(20 * (SUBS.length - 1) + PAGE);
    });

    it('throws when every subscription failed', async () => {
      sim.injectFault({ route: 'resourceGroups', kind: 'error', status: 403, times: Infinity });
      await expect(drain(plugin.collectInventory(contextFor(sim), { kind: 'full' }))).rejects.toMatchObject({ code: ProviderErrorCode.Forbidden });
    });

    it('stops paging when the signal aborts', async () => {
      const abort = new AbortController();
      sim.injectFault({ route: 'virtualMachines', kind: 'slow', delayMs: 400, times: Infinity });
      const drained = drain(plugin.collectInventory(contextFor(sim, { subscriptionConcurrency: 5 }, abort.signal), { kind: 'full' }));
      setTimeout(() => abort.abort(new Error('canceled')), 100);
      await expect(drained).rejects.toThrow();
      const before = sim.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 600));
      // In-flight requests may complete; no new list page is asked for.
      expect(sim.requests.slice(before).filter(isVmListPage)).toEqual([]);
    });
  });
});
