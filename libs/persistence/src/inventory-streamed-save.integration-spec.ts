import { randomUUID } from 'node:crypto';
import { emptyInventoryGraph, type InventoryChunk, type InventoryGraph, type NicRecord, type VmRecord } from '@hybridforms/core';
import { DiskEntity, ImageEntity, NetworkEntity, NicEntity, RefreshEntity, ResourceGroupEntity, VmChangeEntity, VmEntity } from './entities/index.js';
import { INVENTORY_COLLECTIONS, ipAddressesByVm, type PersistStats } from './inventory-diff.js';
import { InventoryPersister } from './inventory.persister.js';
import { insertProvider, openTestDatabase, TEST_DRIVERS, type TestDatabase } from './testing/test-database.js';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-app/providers';
const vmId = (n: number) => `${SUB}/microsoft.compute/virtualmachines/vm-${n}`;
const nicId = (n: number, k = 0) => `${SUB}/microsoft.network/networkinterfaces/vm-${n}-nic-${k}`;
const diskId = (n: number, k = 0) => `${SUB}/microsoft.compute/disks/vm-${n}-disk-${k}`;
const subnetId = (k: number) => `${SUB}/microsoft.network/virtualnetworks/vnet/subnets/s${k}`;
const imageId = (k: number) => `marketplace:redhat:rhel:9-lvm-gen2:9.${k}`;

function vm(n: number, over: Partial<VmRecord> = {}): VmRecord {
  return {
    nativeId: vmId(n),
    uid: `uid-${n}`,
    name: `vm-${n}`,
    hostNativeId: null,
    imageNativeId: imageId(n % 3),
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
    tags: { env: 'prod' },
    details: { zones: [] },
    createdAtProvider: new Date('2025-03-01T10:00:00.000Z'),
    ...over,
  };
}

function nic(n: number, k = 0, over: Partial<NicRecord> = {}): NicRecord {
  return {
    nativeId: nicId(n, k),
    vmNativeId: vmId(n),
    name: `vm-${n}-nic-${k}`,
    macAddress: null,
    primary: k === 0,
    privateIps: [`10.${k}.${Math.floor(n / 250)}.${(n % 250) + 4}`],
    publicIps: n % 4 === 0 && k === 0 ? [`52.0.0.${n % 250}`] : [],
    networkNativeId: subnetId(n % 2),
    ...over,
  };
}

/** VMs ns, each with two NICs and two disks, on three images, two subnets, one resource group. */
function estate(ns: number[]): InventoryGraph {
  return {
    ...emptyInventoryGraph(),
    vms: ns.map((n) => vm(n)),
    nics: ns.flatMap((n) => [nic(n, 0), nic(n, 1)]),
    disks: ns.flatMap((n) => [0, 1].map((k) => ({ nativeId: diskId(n, k), vmNativeId: vmId(n), name: `d${k}`, role: k === 0 ? ('os' as const) : ('data' as const), sizeGb: 64, storageType: 'Premium_LRS', location: 'westeurope' }))),
    images: [0, 1, 2].map((k) => ({ nativeId: imageId(k), name: `rhel 9.${k}`, kind: 'marketplace' as const, publisher: 'redhat', offer: 'rhel', sku: '9-lvm-gen2', version: `9.${k}`, osFamily: 'rhel' as const, osName: null, osVersion: '9', osSource: 'image' as const })),
    networks: [0, 1].map((k) => ({ nativeId: subnetId(k), name: `vnet/s${k}`, kind: 'subnet', location: 'westeurope' })),
    resourceGroups: [{ nativeId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-app', name: 'rg-app', location: 'westeurope', tags: {} }],
  };
}

/**
 * The graph as a streaming plugin would emit it, in `size`-record chunks: referenced collections
 * first, then VMs (carrying their addresses, since their NICs come later), then NICs, then disks.
 */
function chunksOf(graph: InventoryGraph, size: number): InventoryChunk[] {
  const ips = ipAddressesByVm(graph.nics);
  const vms = graph.vms.map((r) => ({ ...r, ipAddresses: ips.get(r.nativeId) ?? [] }));
  const chunks: InventoryChunk[] = [{ resourceGroups: graph.resourceGroups }, { images: graph.images.slice(0, 1) }, { images: graph.images.slice(1), networks: graph.networks }];
  const split = <K extends 'vms' | 'nics' | 'disks'>(name: K, records: NonNullable<InventoryChunk[K]>) => {
    for (let i = 0; i < records.length; i += size) chunks.push({ [name]: records.slice(i, i + size) });
  };
  split('vms', vms);
  split('nics', graph.nics);
  split('disks', graph.disks);
  return chunks;
}

/** Per-VM chunks, a VM with its NICs and disks (what a per-host plugin yields). */
function chunksPerVm(graph: InventoryGraph): InventoryChunk[] {
  return [
    { resourceGroups: graph.resourceGroups, images: graph.images, networks: graph.networks },
    ...graph.vms.map((r) => ({ vms: [r], nics: graph.nics.filter((x) => x.vmNativeId === r.nativeId), disks: graph.disks.filter((x) => x.vmNativeId === r.nativeId) })),
  ];
}

describe.each(TEST_DRIVERS)('InventoryPersister, streamed full refresh, on %s', (driver) => {
  let db: TestDatabase;
  let persister: InventoryPersister;

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    persister = new InventoryPersister(db.dataSource);
  });
  afterAll(async () => {
    await db?.close();
  });

  async function newProvider(): Promise<{ providerId: string; refreshId: () => Promise<string> }> {
    const providerId = (await insertProvider(db.dataSource)).id;
    const refreshId = async () => {
      const refresh: RefreshEntity = {
        id: randomUUID(),
        providerId,
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
    };
    return { providerId, refreshId };
  }

  async function streamed(providerId: string, refreshId: string, chunks: InventoryChunk[], partErrors: InventoryGraph['partErrors'] = []): Promise<PersistStats> {
    const session = persister.open(providerId, refreshId, { kind: 'full' }, { archivePageSize: 3 });
    for (const chunk of partErrors.length > 0 ? [...chunks, { partErrors }] : chunks) await session.apply(chunk);
    return session.finish();
  }

  /** Every row and change record of a provider, with our ids replaced by native ids and no timestamps but archived-or-not. */
  async function contents(providerId: string): Promise<unknown> {
    const entities = { resourceGroups: ResourceGroupEntity, networks: NetworkEntity, images: ImageEntity, vms: VmEntity, nics: NicEntity, disks: DiskEntity } as const;
    const nativeOf = new Map<string, string>();
    const tables: Record<string, Record<string, unknown>[]> = {};
    for (const [name, entity] of Object.entries(entities)) {
      const rows = (await db.dataSource.getRepository(entity).find({ where: { providerId } })) as unknown as Record<string, unknown>[];
      for (const row of rows) nativeOf.set(row.id as string, row.nativeId as string);
      tables[name] = rows;
    }
    const normalized: Record<string, unknown> = {};
    for (const [name, rows] of Object.entries(tables)) {
      normalized[name] = rows
        .map((row) => {
          const { id: _id, providerId: _p, createdAt: _c, updatedAt: _u, archivedAt, ...rest } = row;
          for (const ref of ['vmId', 'imageId', 'hostId', 'networkId']) if (ref in rest && rest[ref]) rest[ref] = nativeOf.get(rest[ref] as string);
          return { ...rest, archived: archivedAt !== null } as Record<string, unknown>;
        })
        .sort((a, b) => String(a.nativeId).localeCompare(String(b.nativeId)));
    }
    const changes = await db.dataSource.getRepository(VmChangeEntity).find({ where: { providerId } });
    normalized.changes = changes
      .map((c) => JSON.stringify([nativeOf.get(c.vmId), c.field, c.fromValue, c.toValue]))
      .sort();
    return normalized;
  }

  /** The history both providers go through: created, changed, some gone, one back, more. */
  function history(): InventoryGraph[] {
    const first = estate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const second = estate([1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]); // 6 gone, 11 and 12 new
    second.vms[1] = { ...second.vms[1], size: 'Standard_E8s_v5', cpuCount: 8, powerState: 'deallocated' };
    second.nics = second.nics.map((x) => (x.nativeId === nicId(3, 0) ? { ...x, privateIps: ['10.9.9.9'] } : x)).filter((x) => x.nativeId !== nicId(4, 1)); // vm-4 lost a NIC
    second.disks = second.disks.filter((x) => x.nativeId !== diskId(5, 1));
    // Only the image says rhel now: the stored guest-agent answer is kept (sticky).
    second.vms[6] = { ...second.vms[6], osSource: 'image', osVersion: '9', osName: null, tags: { env: 'dev', owner: 'x' } };
    const third = estate([1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]); // 6 back (restored), 5 gone
    third.vms[1] = second.vms[1];
    third.nics = second.nics.filter((x) => x.vmNativeId !== vmId(5)).concat([nic(6, 0), nic(6, 1)]);
    return [first, second, third, third];
  }

  const sameCounts = (a: PersistStats, b: PersistStats) => {
    for (const name of INVENTORY_COLLECTIONS) expect([name, b.collections[name]]).toEqual([name, a.collections[name]]);
    expect(b.changes).toBe(a.changes);
    expect(b.rowsWritten).toBe(a.rowsWritten);
  };

  it.each([
    ['chunks of 3 records, VMs before their NICs and disks', (g: InventoryGraph) => chunksOf(g, 3)],
    ['chunks of 1 record', (g: InventoryGraph) => chunksOf(g, 1)],
    ['one chunk per VM with its NICs and disks', chunksPerVm],
  ])('saves a history in %s exactly as single saves do: same rows, same change records, same counts', async (_name, split) => {
    const single = await newProvider();
    const chunked = await newProvider();
    for (const graph of history()) {
      const a = await persister.save(single.providerId, await single.refreshId(), graph, { kind: 'full' });
      const b = await streamed(chunked.providerId, await chunked.refreshId(), split(graph));
      sameCounts(a, b);
      expect(await contents(chunked.providerId)).toEqual(await contents(single.providerId));
    }
    // The last graph was saved twice: the second save of each wrote nothing.
    const last = await streamed(chunked.providerId, await chunked.refreshId(), split(history()[3]));
    expect(last.rowsWritten).toBe(0);
  });

  it('writes no row when nothing changed: every chunk is a no-op and finish archives nothing', async () => {
    const { providerId, refreshId } = await newProvider();
    await streamed(providerId, await refreshId(), chunksOf(estate([1, 2, 3, 4, 5]), 2));
    const before = await db.dataSource.getRepository(VmEntity).find({ where: { providerId }, order: { id: 'ASC' } });
    const refresh = await refreshId();
    db.statements.reset();
    const stats = await streamed(providerId, refresh, chunksOf(estate([1, 2, 3, 4, 5]), 2));
    expect(stats.rowsWritten).toBe(0);
    expect(stats.changes).toBe(0);
    expect(stats.collections.vms).toEqual({ created: 0, updated: 0, unchanged: 5, archived: 0, restored: 0 });
    expect(db.statements.statements.filter((sql) => /^\s*(INSERT|UPDATE|DELETE)/i.test(sql))).toEqual([]);
    expect(await db.dataSource.getRepository(VmEntity).find({ where: { providerId }, order: { id: 'ASC' } })).toEqual(before);
  });

  it('finish archives exactly the rows no chunk held (read in keyset pages), with a change record per VM', async () => {
    const { providerId, refreshId } = await newProvider();
    await streamed(providerId, await refreshId(), chunksOf(estate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 4));
    const refresh = await refreshId();
    const stats = await streamed(providerId, refresh, chunksOf(estate([2, 4, 6, 8, 10]), 4));
    expect(stats.collections.vms).toMatchObject({ unchanged: 5, archived: 5 });
    expect(stats.collections.nics.archived).toBe(10);
    expect(stats.collections.disks.archived).toBe(10);
    const rows = await db.dataSource.getRepository(VmEntity).find({ where: { providerId } });
    expect(rows.filter((r) => r.archivedAt !== null).map((r) => r.name).sort()).toEqual(['vm-1', 'vm-3', 'vm-5', 'vm-7', 'vm-9']);
    const nics = await db.dataSource.getRepository(NicEntity).find({ where: { providerId } });
    expect(nics.filter((r) => r.archivedAt !== null).map((r) => r.nativeId).sort()).toEqual([1, 3, 5, 7, 9].flatMap((n) => [nicId(n, 0), nicId(n, 1)]).sort());
    const changes = await db.dataSource.getRepository(VmChangeEntity).find({ where: { providerId, refreshId: refresh } });
    expect(changes).toHaveLength(5);
    expect(changes.every((c) => c.field === 'archived' && c.fromValue === false && c.toValue === true)).toBe(true);
    expect(stats.changes).toBe(5);
  });

  it('archives nothing when a part failed, and nothing when the refresh stops before finish; what its chunks committed stays', async () => {
    const { providerId, refreshId } = await newProvider();
    await streamed(providerId, await refreshId(), chunksOf(estate([1, 2, 3, 4]), 2));

    const changed = estate([1, 2]);
    changed.vms[0] = { ...changed.vms[0], powerState: 'stopped' };
    const partial = await streamed(providerId, await refreshId(), chunksOf(changed, 2), [{ scope: 'subscription 2', code: 'throttled', message: 'try later' }]);
    expect(partial.archivedNothingBecause).toMatch(/partial refresh: 1 part/);
    expect(Object.values(partial.collections).every((c) => c.archived === 0)).toBe(true);
    const afterPartial = await db.dataSource.getRepository(VmEntity).find({ where: { providerId } });
    expect(afterPartial.every((r) => r.archivedAt === null)).toBe(true);
    expect(afterPartial.find((r) => r.name === 'vm-1')?.powerState).toBe('stopped');

    // Killed mid-way: some chunks committed, finish never called.
    const session = persister.open(providerId, await refreshId(), { kind: 'full' });
    const chunks = chunksOf(estate([1, 5]), 1);
    for (const chunk of chunks.slice(0, chunks.length - 2)) await session.apply(chunk);
    const afterKill = await db.dataSource.getRepository(VmEntity).find({ where: { providerId } });
    expect(afterKill.every((r) => r.archivedAt === null)).toBe(true);
    expect(afterKill.map((r) => r.name).sort()).toEqual(['vm-1', 'vm-2', 'vm-3', 'vm-4', 'vm-5']);
    expect(afterKill.find((r) => r.name === 'vm-1')?.powerState).toBe('running');
    expect(await db.dataSource.getRepository(VmChangeEntity).count({ where: { providerId, field: 'archived' } })).toBe(0);

    // The next complete run converges to exactly the inventory of a clean one.
    const clean = await newProvider();
    await streamed(clean.providerId, await clean.refreshId(), chunksOf(estate([1, 2, 3, 4]), 2));
    await streamed(clean.providerId, await clean.refreshId(), chunksOf(estate([1, 5]), 3));
    await streamed(providerId, await refreshId(), chunksOf(estate([1, 5]), 3));
    const withoutChanges = async (id: string) => ({ ...((await contents(id)) as Record<string, unknown>), changes: undefined });
    expect(await withoutChanges(providerId)).toEqual(await withoutChanges(clean.providerId));
  });

  it('ignores a native id seen again in a later chunk of the same refresh, and a chunk that only repeats writes nothing', async () => {
    const { providerId, refreshId } = await newProvider();
    const session = persister.open(providerId, await refreshId(), { kind: 'full' });
    for (const chunk of chunksOf(estate([1, 2]), 2)) await session.apply(chunk);
    const again = await session.apply({ vms: [vm(1, { name: 'renamed' })], images: estate([1]).images });
    expect(again.rowsWritten).toBe(0);
    const stats = await session.finish();
    expect(stats.collections.vms).toEqual({ created: 2, updated: 0, unchanged: 0, archived: 0, restored: 0 });
    expect(stats.collections.images.created).toBe(3);
    expect((await db.dataSource.getRepository(VmEntity).findOneByOrFail({ providerId, nativeId: vmId(1) })).name).toBe('vm-1');
  });
});
