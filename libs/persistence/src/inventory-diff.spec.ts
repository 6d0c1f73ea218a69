import { emptyInventoryGraph, type NicRecord, type VmRecord } from '@hybridforms/core';
import type { VmEntity } from './entities/index.js';
import { diffInventory, ipAddressesByVm, sameValue, type InventoryRows } from './inventory-diff.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');
const EARLIER = new Date('2026-01-01T00:00:00.000Z');

function vmRecord(n: number, over: Partial<VmRecord> = {}): VmRecord {
  return {
    nativeId: `vm-${n}`,
    uid: null,
    name: `vm-${n}`,
    hostNativeId: null,
    imageNativeId: null,
    location: 'westeurope',
    resourceGroup: null,
    subscriptionId: null,
    size: null,
    cpuCount: null,
    memoryMb: null,
    powerState: 'running',
    osFamily: 'rhel',
    osName: 'redhat',
    osVersion: '9.4',
    osSource: 'guest-agent',
    rhelLicenseModel: 'payg',
    licenseType: null,
    guestAgentVersion: null,
    tags: {},
    details: {},
    createdAtProvider: null,
    ...over,
  };
}

function storedVm(n: number, over: Partial<VmEntity> = {}): VmEntity {
  const { rhelLicenseModel: _rhel, hostNativeId: _host, imageNativeId: _image, ...record } = vmRecord(n);
  return { ...record, licenseModel: 'payg', id: `id-${n}`, providerId: 'p', hostId: null, imageId: null, ipAddresses: [], archivedAt: null, createdAt: EARLIER, updatedAt: EARLIER, ...over };
}

const noRows = (): InventoryRows => ({ resourceGroups: [], networks: [], hosts: [], images: [], vms: [], nics: [], disks: [] });

describe('sameValue', () => {
  it('compares the way the database stores values', () => {
    expect(sameValue(new Date(5), new Date(5))).toBe(true);
    expect(sameValue(new Date(5), new Date(6))).toBe(false);
    expect(sameValue(null, undefined)).toBe(true);
    expect(sameValue(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(sameValue(['a', 'b'], ['b', 'a'])).toBe(false);
    expect(sameValue({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(true);
    expect(sameValue({ a: '1' }, { a: '1', b: '2' })).toBe(false);
    expect(sameValue({ a: '1', b: undefined }, { a: '1' })).toBe(true);
    expect(sameValue(0, null)).toBe(false);
    expect(sameValue('', null)).toBe(false);
  });
});

describe('ipAddressesByVm', () => {
  it('lists private then public addresses, primary NIC first, whatever the listing order', () => {
    const nic = (id: string, primary: boolean, privateIps: string[], publicIps: string[]): NicRecord => ({
      nativeId: id,
      vmNativeId: 'vm-1',
      name: id,
      macAddress: null,
      primary,
      privateIps,
      publicIps,
      networkNativeId: null,
    });
    const ips = ipAddressesByVm([nic('b', false, ['10.0.0.9'], ['20.0.0.9']), nic('a', true, ['10.0.0.1', '10.0.0.2'], ['20.0.0.1']), nic('c', false, ['10.0.0.1'], [])]);
    expect(ips.get('vm-1')).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.9', '20.0.0.1', '20.0.0.9']);
  });
});

describe('diffInventory', () => {
  const base = { providerId: 'p', refreshId: 'r', now: NOW };

  it('writes only new and changed rows, and counts every record once', () => {
    const graph = { ...emptyInventoryGraph(), vms: [vmRecord(1), vmRecord(2, { powerState: 'stopped' }), vmRecord(3)] };
    const existing = { ...noRows(), vms: [storedVm(1), storedVm(2)] };
    const diff = diffInventory({ ...base, graph, scope: { kind: 'full' }, existing });
    expect(diff.stats.collections.vms).toEqual({ created: 1, updated: 1, unchanged: 1, archived: 0, restored: 0 });
    expect(diff.upserts.vms.map((vm) => vm.nativeId)).toEqual(['vm-2', 'vm-3']);
    expect(diff.upserts.vms[0]).toMatchObject({ id: 'id-2', createdAt: EARLIER, updatedAt: NOW, powerState: 'stopped' });
    expect(diff.changes).toEqual([expect.objectContaining({ vmId: 'id-2', field: 'powerState', fromValue: 'running', toValue: 'stopped', refreshId: 'r', changedAt: NOW })]);
    expect(diff.stats.rowsWritten).toBe(3);
  });

  it('archives nothing from a partial graph, and keeps the addresses of VMs whose NICs it lacks', () => {
    const graph = { ...emptyInventoryGraph(), vms: [vmRecord(1)], partErrors: [{ scope: 'subscription s2', code: 'throttled', message: '429' }] };
    const existing = { ...noRows(), vms: [storedVm(1, { ipAddresses: ['10.0.0.4'] }), storedVm(2)] };
    const diff = diffInventory({ ...base, graph, scope: { kind: 'full' }, existing });
    expect(diff.archives.vms).toEqual([]);
    expect(diff.stats.archivedNothingBecause).toMatch(/subscription s2 \(throttled\)/);
    expect(diff.stats.collections.vms.unchanged).toBe(1);
  });

  it('archives, on a targeted graph, only asked-for VMs the provider reports gone', () => {
    const graph = { ...emptyInventoryGraph(), notFound: ['vm-2', 'vm-3'] };
    const existing = { ...noRows(), vms: [storedVm(1), storedVm(2), storedVm(3)] };
    const diff = diffInventory({ ...base, graph, scope: { kind: 'targeted', nativeIds: ['vm-1', 'vm-2'] }, existing });
    expect(diff.archives.vms).toEqual(['id-2']);
    expect(diff.changes).toEqual([expect.objectContaining({ vmId: 'id-2', field: 'archived', fromValue: false, toValue: true })]);
  });

  it('restores an archived row that comes back', () => {
    const graph = { ...emptyInventoryGraph(), vms: [vmRecord(1)] };
    const existing = { ...noRows(), vms: [storedVm(1, { archivedAt: EARLIER })] };
    const diff = diffInventory({ ...base, graph, scope: { kind: 'full' }, existing });
    expect(diff.stats.collections.vms).toMatchObject({ restored: 1, updated: 0 });
    expect(diff.upserts.vms[0]).toMatchObject({ archivedAt: null, updatedAt: NOW });
    expect(diff.changes.map((c) => [c.field, c.fromValue, c.toValue])).toEqual([['archived', true, false]]);
  });

  it('keeps the more precise stored classification (sticky) and derives the license model from it', () => {
    const graph = {
      ...emptyInventoryGraph(),
      vms: [vmRecord(1, { osFamily: 'unknown', osName: null, osVersion: null, osSource: null, rhelLicenseModel: 'byos' })],
    };
    const existing = { ...noRows(), vms: [storedVm(1)] };
    const diff = diffInventory({ ...base, graph, scope: { kind: 'full' }, existing });
    expect(diff.upserts.vms[0]).toMatchObject({ osFamily: 'rhel', osVersion: '9.4', osSource: 'guest-agent', licenseModel: 'byos' });
    expect(diff.changes.map((c) => c.field)).toEqual(['licenseModel']);
  });
});
