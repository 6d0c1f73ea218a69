import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InventoryGraph, NicRecord } from '@hybridforms/core';
import { parseSubscriptionPages } from './azure-inventory.stream-parser.js';
import type { AzureSubscriptionInventory } from './azure-raw-inventory.js';

const FIXTURES = join(process.cwd(), 'libs/providers/azure/src/__fixtures__');
const COLLECTIONS = ['hosts', 'vms', 'nics', 'disks', 'images', 'networks', 'resourceGroups'] as const;

function fixture<T = AzureSubscriptionInventory>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** What ipAddressesByVm (in the persister) derives from a VM's NIC records. */
function addressesOf(nics: NicRecord[], vmNativeId: string): string[] {
  const own = nics.filter((n) => n.vmNativeId === vmNativeId).sort((a, b) => Number(b.primary) - Number(a.primary) || (a.nativeId < b.nativeId ? -1 : 1));
  return [...new Set([...own.flatMap((n) => n.privateIps), ...own.flatMap((n) => n.publicIps)])];
}

/** Records as JSON has them (dates as strings), by native id, without the addresses VMs carry. */
function comparable(records: { nativeId: string }[]): unknown[] {
  const sorted = [...records].sort((a, b) => (a.nativeId < b.nativeId ? -1 : 1)).map((r) => ({ ...r, ipAddresses: undefined }));
  return JSON.parse(JSON.stringify(sorted)) as unknown[];
}

// The expected graphs (*.expected-graph.json) are what the batch parser (parseAzureInventory,
// removed when targeted refreshes moved onto the stream parser) made of the recorded fixtures.
describe.each([
  ['subscription-full.json', 'subscription-full.expected-graph.json'],
  ['subscription-targeted.json', 'subscription-targeted.expected-graph.json'],
])('Azure stream parser (recorded %s, page by page)', (recorded, expectedGraph) => {
  const raw = fixture(recorded);
  const graph = fixture<InventoryGraph>(expectedGraph);

  it.each([1, 3, 100, Number.POSITIVE_INFINITY])('yields, in pages of %s, exactly the records of the expected graph, none twice, none larger than a page', (size) => {
    const chunks = parseSubscriptionPages(raw, size);
    expect(graph.vms.length).toBeGreaterThan(0);
    for (const name of COLLECTIONS) {
      const records = chunks.flatMap((c): { nativeId: string }[] => c[name] ?? []);
      expect(new Set(records.map((r) => r.nativeId)).size).toBe(records.length);
      expect(comparable(records)).toEqual(comparable(graph[name]));
    }
    for (const chunk of chunks) for (const name of ['vms', 'nics', 'disks', 'resourceGroups'] as const) expect((chunk[name] ?? []).length).toBeLessThanOrEqual(size);
  });

  it('gives every VM the addresses its NIC records give it (VMs come before their NICs)', () => {
    const vms = parseSubscriptionPages(raw, 2).flatMap((c) => c.vms ?? []);
    expect(vms.some((vm) => (vm.ipAddresses ?? []).length > 0)).toBe(true);
    for (const vm of vms) expect([vm.name, vm.ipAddresses]).toEqual([vm.name, addressesOf(graph.nics, vm.nativeId)]);
  });
});

it('gives some VM of the recorded subscription more than one address', () => {
  const vms = parseSubscriptionPages(fixture('subscription-full.json'), 2).flatMap((c) => c.vms ?? []);
  expect(vms.some((vm) => (vm.ipAddresses ?? []).length > 1)).toBe(true);
});
