import { randomUUID } from 'node:crypto';
import {
  emptyInventoryGraph,
  NotFoundError,
  type DiskRecord,
  type ImageRecord,
  type InventoryGraph,
  type NetworkRecord,
  type NicRecord,
  type VmRecord,
} from '@hybridforms/core';
import { DiskEntity, ImageEntity, NetworkEntity, NicEntity, RefreshEntity, VmChangeEntity, VmEntity } from './entities/index.js';
import { InventoryPersister } from './inventory.persister.js';
import { insertProvider, openTestDatabase, TEST_DRIVERS, type TestDatabase } from './testing/test-database.js';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-app/providers';
const vmId = (n: number) => `${SUB}/microsoft.compute/virtualmachines/vm-${n}`;
const nicId = (n: number, k = 0) => `${SUB}/microsoft.network/networkinterfaces/vm-${n}-nic-${k}`;
const diskId = (n: number) => `${SUB}/microsoft.compute/disks/vm-${n}-osdisk`;
const SUBNET = `${SUB}/microsoft.network/virtualnetworks/vnet/subnets/default`;
const IMAGE = 'marketplace:redhat:rhel:9-lvm-gen2:latest';

function vm(n: number, over: Partial<VmRecord> = {}): VmRecord {
  return {
    nativeId: vmId(n),
    uid: `uid-${n}`,
    name: `vm-${n}`,
    hostNativeId: null,
    imageNativeId: IMAGE,
    location: 'westeurope',
    resourceGroup: 'rg-app',
    subscriptionId: '00000000-0000-0000-0000-000000000001',
    size: 'Standard_D2s_v3',
    cpuCount: 2,
    memoryMb: 8192,
    powerState: 'running',
    osFamily: 'rhel',
    osName: 'redhat',
    osVersion: '9.4',
    osSource: 'guest-agent',
    rhelLicenseModel: 'payg',
    licenseType: null,
    guestAgentVersion: '2.9.1.1',
    tags: { env: 'prod', team: 'core' },
    details: { generation: 2 },
    createdAtProvider: new Date('2025-03-01T10:00:00.000Z'),
    ...over,
  };
}

function nic(n: number, over: Partial<NicRecord> = {}, k = 0): NicRecord {
  return {
    nativeId: nicId(n, k),
    vmNativeId: vmId(n),
    name: `vm-${n}-nic-${k}`,
    macAddress: '00-0D-3A-00-00-01',
    primary: k === 0,
    privateIps: [`10.0.${Math.floor(n / 250)}.${(n % 250) + 4}`],
    publicIps: [],
    networkNativeId: SUBNET,
    ...over,
  };
}

function disk(n: number, over: Partial<DiskRecord> = {}): DiskRecord {
  return { nativeId: diskId(n), vmNativeId: vmId(n), name: `vm-${n}-osdisk`, role: 'os', sizeGb: 64, storageType: 'Premium_LRS', location: 'westeurope', ...over };
}

const image: ImageRecord = {
  nativeId: IMAGE,
  name: 'RedHat RHEL 9-lvm-gen2',
  kind: 'marketplace',
  publisher: 'redhat',
  offer: 'rhel',
  sku: '9-lvm-gen2',
  version: 'latest',
  osFamily: 'rhel',
  osName: 'Red Hat Enterprise Linux',
  osVersion: '9',
  osSource: 'image',
};
const network: NetworkRecord = { nativeId: SUBNET, name: 'default', kind: 'subnet', location: 'westeurope' };

/** A graph of VMs 1..n, each with one NIC and one OS disk, on one image and one subnet. */
function estate(ns: number[], over: Partial<InventoryGraph> = {}): InventoryGraph {
  return {
    ...emptyInventoryGraph(),
    vms: ns.map((n) => vm(n)),
    nics: ns.map((n) => nic(n)),
    disks: ns.map((n) => disk(n)),
    images: [image],
    networks: [network],
    resourceGroups: [{ nativeId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-app', name: 'rg-app', location: 'westeurope', tags: {} }],
    ...over,
  };
}

const FULL = { kind: 'full' } as const;

describe.each(TEST_DRIVERS)('InventoryPersister on %s', (driver) => {
  let db: TestDatabase;
  let persister: InventoryPersister;
  let providerId: string;
  let refreshId: string;

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    persister = new InventoryPersister(db.dataSource);
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    providerId = (await insertProvider(db.dataSource)).id;
    refreshId = await insertRefresh(providerId);
  });

  async function insertRefresh(provider: string): Promise<string> {
    const refresh: RefreshEntity = {
      id: randomUUID(),
      providerId: provider,
      kind: 'full',
      targets: null,
      trigger: 'api',
      status: 'completed',
      progress: {},
      errors: [],
      requestedAt: new Date(),
      startedAt: null,
      finishedAt: null,
      heartbeatAt: null,
      owner: null,
    };
    await db.dataSource.getRepository(RefreshEntity).insert(refresh);
    return refresh.id;
  }

  const vms = () => db.dataSource.getRepository(VmEntity).find({ where: { providerId }, order: { name: 'ASC' } });
  const vmByName = (name: string) => db.dataSource.getRepository(VmEntity).findOneByOrFail({ providerId, name });
  const nics = () => db.dataSource.getRepository(NicEntity).find({ where: { providerId } });
  const disks = () => db.dataSource.getRepository(DiskEntity).find({ where: { providerId } });
  const changesOf = (id: string) => db.dataSource.getRepository(VmChangeEntity).find({ where: { vmId: id }, order: { field: 'ASC' } });

  it('upserts by native id without duplicates and resolves references', async () => {
    const graph = estate([1, 2, 3]);
    graph.vms.push(vm(2, { name: 'vm-2' })); // a repeated native id is one row
    const stats = await persister.save(providerId, refreshId, graph, FULL);

    expect(stats.collections.vms).toEqual({ created: 3, updated: 0, unchanged: 0, archived: 0, restored: 0 });
    expect(stats.collections.nics.created).toBe(3);
    expect(stats.changes).toBe(0);
    expect(stats.rowsWritten).toBe(3 + 3 + 3 + 1 + 1 + 1);

    const stored = await vms();
    expect(stored.map((v) => v.name)).toEqual(['vm-1', 'vm-2', 'vm-3']);
    const imageRow = await db.dataSource.getRepository(ImageEntity).findOneByOrFail({ providerId, nativeId: IMAGE });
    const networkRow = await db.dataSource.getRepository(NetworkEntity).findOneByOrFail({ providerId, nativeId: SUBNET });
    const vm1 = stored[0];
    expect(vm1).toMatchObject({ imageId: imageRow.id, hostId: null, ipAddresses: ['10.0.0.5'], tags: { env: 'prod', team: 'core' }, osVersion: '9.4' });
    expect(vm1.createdAtProvider?.toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(vm1.id).toMatch(/^[0-9a-f-]{36}$/);
    const nic1 = (await nics()).find((n) => n.nativeId === nicId(1))!;
    expect(nic1).toMatchObject({ vmId: vm1.id, networkId: networkRow.id, primary: true, privateIps: ['10.0.0.5'], publicIps: [] });
    expect((await disks()).find((d) => d.nativeId === diskId(1))?.vmId).toBe(vm1.id);
  });

  it('writes nothing when the same graph is saved again', async () => {
    await persister.save(providerId, refreshId, estate([1, 2, 3]), FULL);
    const before = await vms();

    const again = await persister.save(providerId, refreshId, estate([1, 2, 3]), FULL);
    expect(again.rowsWritten).toBe(0);
    expect(again.changes).toBe(0);
    expect(again.collections.vms).toEqual({ created: 0, updated: 0, unchanged: 3, archived: 0, restored: 0 });
    expect(again.collections.nics.unchanged).toBe(3);

    const after = await vms();
    expect(after).toEqual(before);
    expect(after.map((v) => v.updatedAt.getTime())).toEqual(before.map((v) => v.updatedAt.getTime()));
  });

  it('archives nothing on a partial refresh and leaves what it did not see as it was', async () => {
    await persister.save(providerId, refreshId, estate([1, 2, 3]), FULL);
    const vm2Before = await vmByName('vm-2');

    const partial = estate([1], { partErrors: [{ scope: 'subscription 2', code: 'throttled', message: 'try later' }] });
    partial.vms[0].powerState = 'stopped';
    const stats = await persister.save(providerId, refreshId, partial, FULL);

    expect(stats.archivedNothingBecause).toMatch(/partial/);
    expect(Object.values(stats.collections).every((c) => c.archived === 0)).toBe(true);
    expect(stats.collections.vms).toMatchObject({ updated: 1, archived: 0 });
    expect((await vmByName('vm-1')).powerState).toBe('stopped');
    expect(await vmByName('vm-2')).toEqual(vm2Before);
    expect((await vms()).every((v) => v.archivedAt === null)).toBe(true);
  });

  it('archives what a complete full refresh no longer sees, and restores it when it comes back', async () => {
    await persister.save(providerId, refreshId, estate([1, 2, 3]), FULL);

    const gone = await persister.save(providerId, refreshId, estate([1]), FULL);
    expect(gone.archivedNothingBecause).toBeUndefined();
    expect(gone.collections.vms).toEqual({ created: 0, updated: 0, unchanged: 1, archived: 2, restored: 0 });
    expect(gone.collections.nics.archived).toBe(2);
    expect(gone.collections.disks.archived).toBe(2);
    const vm2 = await vmByName('vm-2');
    expect(vm2.archivedAt).toBeInstanceOf(Date);
    expect(vm2.updatedAt.getTime()).toBe(vm2.archivedAt!.getTime());
    expect((await nics()).filter((n) => n.archivedAt !== null).map((n) => n.nativeId).sort()).toEqual([nicId(2), nicId(3)].sort());
    expect(await changesOf(vm2.id)).toEqual([expect.objectContaining({ field: 'archived', fromValue: false, toValue: true, refreshId })]);
    expect((await vmByName('vm-1')).archivedAt).toBeNull();

    // Archived rows are not archived twice.
    expect((await persister.save(providerId, refreshId, estate([1]), FULL)).rowsWritten).toBe(0);

    const back = await persister.save(providerId, refreshId, estate([1, 2]), FULL);
    expect(back.collections.vms).toMatchObject({ restored: 1, unchanged: 1, archived: 0 });
    expect(back.collections.nics.restored).toBe(1);
    const restored = await vmByName('vm-2');
    expect(restored.archivedAt).toBeNull();
    expect(restored.id).toBe(vm2.id);
    expect((await changesOf(vm2.id)).map((c) => [c.field, c.fromValue, c.toValue])).toEqual([
      ['archived', false, true],
      ['archived', true, false],
    ]);
    expect((await vmByName('vm-3')).archivedAt).not.toBeNull();
  });

  it('keeps a change record for each tracked field that changed', async () => {
    await persister.save(providerId, refreshId, estate([1, 2]), FULL);
    const before = await vmByName('vm-1');
    const second = await insertRefresh(providerId);

    const next = estate([1, 2]);
    next.vms[0] = vm(1, {
      powerState: 'deallocated',
      osVersion: '9.5',
      size: 'Standard_D4s_v3',
      rhelLicenseModel: 'byos',
      licenseType: 'RHEL_BYOS',
      tags: { team: 'core', env: 'test', owner: 'ops' },
    });
    next.nics[0] = nic(1, { privateIps: ['10.0.9.9'], publicIps: ['20.1.2.3'] });
    // vm-2: only the order of its tags differs, which is no change.
    next.vms[1] = vm(2, { tags: { team: 'core', env: 'prod' } });
    const stats = await persister.save(providerId, second, next, FULL);

    expect(stats.collections.vms).toMatchObject({ updated: 1, unchanged: 1 });
    expect(stats.collections.nics).toMatchObject({ updated: 1, unchanged: 1 });
    const changes = await changesOf(before.id);
    expect(changes.map((c) => [c.field, c.fromValue, c.toValue])).toEqual([
      ['ipAddresses', ['10.0.0.5'], ['10.0.9.9', '20.1.2.3']],
      ['licenseModel', 'payg', 'byos'],
      ['licenseType', null, 'RHEL_BYOS'],
      ['osVersion', '9.4', '9.5'],
      ['powerState', 'running', 'deallocated'],
      ['size', 'Standard_D2s_v3', 'Standard_D4s_v3'],
      ['tags', { env: 'prod', team: 'core' }, { env: 'test', owner: 'ops', team: 'core' }],
    ]);
    expect(changes.every((c) => c.refreshId === second && c.providerId === providerId)).toBe(true);
    expect(stats.changes).toBe(7);
    expect(stats.rowsWritten).toBe(1 + 1 + 7);

    const after = await vmByName('vm-1');
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    expect(after.createdAt.getTime()).toBe(before.createdAt.getTime());
    expect(await changesOf((await vmByName('vm-2')).id)).toEqual([]);
  });

  it('keeps a guest-agent classification when a later refresh only has the image', async () => {
    await persister.save(providerId, refreshId, estate([1]), FULL);

    // Deallocated: no guest agent, the image says rhel 9 only.
    const next = estate([1]);
    next.vms[0] = vm(1, { powerState: 'deallocated', osVersion: '9', osSource: 'image', osName: 'Red Hat Enterprise Linux', guestAgentVersion: null });
    await persister.save(providerId, refreshId, next, FULL);

    const stored = await vmByName('vm-1');
    expect(stored).toMatchObject({ osFamily: 'rhel', osVersion: '9.4', osSource: 'guest-agent', osName: 'redhat', licenseModel: 'payg' });
    expect((await changesOf(stored.id)).map((c) => c.field)).toEqual(['guestAgentVersion', 'powerState']);
  });

  it('archives, on a targeted refresh, only the asked-for VMs the provider says are gone', async () => {
    const start = estate([1, 2, 3, 4]);
    start.nics.push(nic(1, { privateIps: ['10.1.0.1'] }, 1));
    await persister.save(providerId, refreshId, start, FULL);

    // Asked: vm-1 (still there, without its second NIC) and vm-2 (gone). The provider also says
    // vm-4 is gone, but nobody asked: it stays. vm-3 is neither asked nor seen: untouched.
    const targeted = estate([1], { resourceGroups: [], images: [], networks: [], notFound: [vmId(2), vmId(4)] });
    const stats = await persister.save(providerId, refreshId, targeted, { kind: 'targeted', nativeIds: [vmId(1), vmId(2)] });

    expect(stats.collections.vms).toMatchObject({ unchanged: 0, updated: 1, archived: 1 });
    expect(stats.collections.nics.archived).toBe(2); // vm-1's second NIC, vm-2's NIC
    expect(stats.collections.disks.archived).toBe(1); // vm-2's disk
    expect(stats.collections.images.archived + stats.collections.networks.archived + stats.collections.resourceGroups.archived).toBe(0);
    const byName = new Map((await vms()).map((v) => [v.name, v]));
    expect(byName.get('vm-2')?.archivedAt).not.toBeNull();
    expect(byName.get('vm-1')?.archivedAt).toBeNull();
    expect(byName.get('vm-1')?.ipAddresses).toEqual(['10.0.0.5']);
    expect(byName.get('vm-3')?.archivedAt).toBeNull();
    expect(byName.get('vm-4')?.archivedAt).toBeNull();
    const archivedNics = (await nics()).filter((n) => n.archivedAt !== null).map((n) => n.nativeId);
    expect(archivedNics.sort()).toEqual([nicId(1, 1), nicId(2)].sort());
    expect((await disks()).filter((d) => d.archivedAt !== null).map((d) => d.nativeId)).toEqual([diskId(2)]);
    // The references of the targeted VM still resolve through the stored image.
    expect(byName.get('vm-1')?.imageId).toBe(byName.get('vm-3')?.imageId);
  });

  it('cuts an over-long provider string to its column instead of failing the refresh, and stays unchanged after', async () => {
    const longName = `Red Hat Enterprise Linux ${'x'.repeat(400)}`;
    const graph = estate([1], { vms: [vm(1, { osName: longName, guestAgentVersion: 'v'.repeat(300) })] });
    await persister.save(providerId, refreshId, graph, FULL);
    const stored = await vmByName('vm-1');
    expect(stored.osName).toBe(longName.slice(0, 255));
    expect(stored.guestAgentVersion).toHaveLength(255);
    const again = await persister.save(providerId, refreshId, graph, FULL);
    expect(again.rowsWritten).toBe(0);
  });

  it('fails clearly for an unknown provider', async () => {
    await expect(persister.save(randomUUID(), null, estate([1]), FULL)).rejects.toThrow(NotFoundError);
  });

  describe('at scale', () => {
    const COUNT = 10_000;

    it(`saves ${COUNT} VMs in a bounded number of statements, and rolls back a save that fails midway`, async () => {
      const ns = Array.from({ length: COUNT }, (_, i) => i + 1);

      // A NOT NULL violation in the very last chunk written: nothing of the save may remain.
      const broken = estate(ns);
      broken.disks[COUNT - 1] = { ...disk(COUNT), name: null as unknown as string };
      await expect(persister.save(providerId, refreshId, broken, FULL)).rejects.toThrow(/null/i);
      expect(await db.dataSource.getRepository(VmEntity).countBy({ providerId })).toBe(0);
      expect(await db.dataSource.getRepository(NicEntity).countBy({ providerId })).toBe(0);
      expect(await db.dataSource.getRepository(ImageEntity).countBy({ providerId })).toBe(0);

      db.statements.reset();
      let started = performance.now();
      const first = await persister.save(providerId, refreshId, estate(ns), FULL);
      const firstMs = performance.now() - started;
      const firstStatements = db.statements.count;
      expect(first.collections.vms.created).toBe(COUNT);
      expect(first.rowsWritten).toBe(3 * COUNT + 3);

      db.statements.reset();
      started = performance.now();
      const second = await persister.save(providerId, refreshId, estate(ns), FULL);
      const secondMs = performance.now() - started;
      const secondStatements = db.statements.count;
      expect(second.rowsWritten).toBe(0);
      expect(second.collections.vms.unchanged).toBe(COUNT);

      // One more with 1% of the VMs changed, and the last VM gone.
      const changed = estate(ns.slice(0, -1));
      for (let i = 0; i < COUNT; i += 100) changed.vms[i].powerState = 'stopped';
      db.statements.reset();
      started = performance.now();
      const third = await persister.save(providerId, refreshId, changed, FULL);
      const thirdMs = performance.now() - started;
      const thirdStatements = db.statements.count;
      expect(third.collections.vms).toMatchObject({ updated: COUNT / 100, archived: 1 });
      expect(third.changes).toBe(COUNT / 100 + 1);

      console.log(
        `[${driver}] ${COUNT} VMs + ${COUNT} NICs + ${COUNT} disks: first save ${firstStatements} statements in ${firstMs.toFixed(0)} ms, ` +
          `unchanged second save ${secondStatements} statements in ${secondMs.toFixed(0)} ms, ` +
          `1% changed ${thirdStatements} statements in ${thirdMs.toFixed(0)} ms`,
      );
      expect(firstStatements).toBeLessThanOrEqual(40);
      expect(secondStatements).toBeLessThanOrEqual(12);
      expect(thirdStatements).toBeLessThanOrEqual(20);
      expect(await db.dataSource.getRepository(VmEntity).countBy({ providerId })).toBe(COUNT);
    }, 180_000);
  });
});
