import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InventoryChunk, InventoryGraph, NicRecord } from '@hybridforms/core';
import { parseAzureInventory } from './azure-inventory.parser.js';
import { AzureSubscriptionStreamParser } from './azure-inventory.stream-parser.js';
import type { AzureSubscriptionInventory } from './azure-raw-inventory.js';

const FIXTURES = join(process.cwd(), 'libs/providers/azure/src/__fixtures__');
const COLLECTIONS = ['vms', 'nics', 'disks', 'images', 'networks', 'resourceGroups'] as const;

function fixture(name: string): AzureSubscriptionInventory {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as AzureSubscriptionInventory;
}

function pages<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** The recorded subscription fed to the stream parser page by page, in the collector's order. */
function streamed(raw: AzureSubscriptionInventory, size: number): InventoryChunk[] {
  const parser = new AzureSubscriptionStreamParser(raw.subscriptionId);
  const chunks: InventoryChunk[] = [];
  for (const page of pages(raw.resourceGroups, size)) chunks.push(parser.resourceGroups(page));
  for (const page of pages(raw.vmStatuses, size)) parser.addStatuses(page);
  for (const page of pages(raw.publicIPAddresses, size)) parser.addPublicIps(page);
  for (const page of pages(raw.networkInterfaces, size)) parser.addNicAddresses(page);
  for (const page of pages(raw.virtualMachines, size)) {
    for (const location of parser.missingSizeLocations(page)) parser.addSizes(location, raw.vmSizes.find((s) => s.location === location)?.sizes ?? []);
    chunks.push(parser.vms(page));
  }
  // As the collector does: NIC and disk records must not need the lookups dropped here.
  parser.vmsDone();
  for (const page of pages(raw.networkInterfaces, size)) chunks.push(parser.nics(page));
  for (const page of pages(raw.disks, size)) chunks.push(parser.disks(page));
  chunks.push(...parser.remainingDisks(size));
  return chunks;
}

/** What ipAddressesByVm (in the persister) derives from a VM's NIC records. */
function addressesOf(nics: NicRecord[], vmNativeId: string): string[] {
  const own = nics.filter((n) => n.vmNativeId === vmNativeId).sort((a, b) => Number(b.primary) - Number(a.primary) || (a.nativeId < b.nativeId ? -1 : 1));
  return [...new Set([...own.flatMap((n) => n.privateIps), ...own.flatMap((n) => n.publicIps)])];
}

describe('Azure stream parser (recorded subscription, page by page)', () => {
  const raw = fixture('subscription-full.json');
  const graph: InventoryGraph = parseAzureInventory([raw]);

  it.each([1, 3, 100])('yields, in pages of %i, exactly the records parseAzureInventory does, none twice, none larger than a page', (size) => {
    const chunks = streamed(raw, size);
    for (const name of COLLECTIONS) {
      const records = chunks.flatMap((c): { nativeId: string }[] => c[name] ?? []);
      expect(new Set(records.map((r) => r.nativeId)).size).toBe(records.length);
      const sorted = (list: { nativeId: string }[]) => [...list].sort((a, b) => (a.nativeId < b.nativeId ? -1 : 1)).map((r) => ({ ...r, ipAddresses: undefined }));
      expect(sorted(records)).toEqual(sorted(graph[name]));
    }
    for (const chunk of chunks) for (const name of ['vms', 'nics', 'disks', 'resourceGroups'] as const) expect((chunk[name] ?? []).length).toBeLessThanOrEqual(size);
  });

  it('gives every VM the addresses its NIC records give it (VMs come before their NICs)', () => {
    const vms = streamed(raw, 2).flatMap((c) => c.vms ?? []);
    expect(vms.some((vm) => (vm.ipAddresses ?? []).length > 1)).toBe(true);
    for (const vm of vms) expect([vm.name, vm.ipAddresses]).toEqual([vm.name, addressesOf(graph.nics, vm.nativeId)]);
  });
});
