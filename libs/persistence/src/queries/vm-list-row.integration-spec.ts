import { randomUUID } from 'node:crypto';
import { emptyInventoryGraph, type InventoryGraph, type NicRecord, type VmRecord } from '@hybridforms/core';
import { VmEntity } from '../entities/index.js';
import { InventoryPersister } from '../inventory.persister.js';
import { insertProvider, openTestDatabase, TEST_DRIVERS, vmQueriesOn, type TestDatabase } from '../testing/test-database.js';
import { vmRecordFixture } from '../testing/vm-record.fixture.js';
import { paginate, parseSort } from './inventory-query.js';
import { VM_SORTS, VmQueryRepository } from './vm-query.repository.js';

const nicOf = (n: number, over: Partial<NicRecord> = {}): NicRecord => ({
  nativeId: `nic-${n}`,
  vmNativeId: `vm-native-${n}`,
  name: `nic-${n}`,
  macAddress: null,
  primary: true,
  privateIps: [`10.1.0.${n}`],
  publicIps: [`20.1.0.${n}`],
  networkNativeId: null,
  ...over,
});

// Every kind of value a listed column holds: nulls in each nullable column, JSON with escapes,
// non-ASCII and empty objects and arrays, timestamps with and without milliseconds, integers.
const RECORDS: VmRecord[] = [
  vmRecordFixture(1),
  vmRecordFixture(2, {
    uid: 'uid-2',
    location: 'EastUS',
    resourceGroup: 'RG-Ops',
    subscriptionId: '00000000-0000-0000-0000-000000000002',
    size: 'Standard_D2s_v5',
    cpuCount: 0,
    memoryMb: 2147483647,
    powerState: 'deallocated',
    osName: 'Red Hat Enterprise Linux',
    osVersion: '9.4',
    osSource: 'guest-agent',
    rhelLicenseModel: 'payg',
    licenseType: 'RHEL_BASE',
    guestAgentVersion: '2.9.1.1',
    tags: { env: 'prod', 'quote"key': 'back\\slash', unicode: 'zürich 東京 🚀', empty: '', 'a=b': 'c=d', newline: 'x\ny\t\u0001' },
    createdAtProvider: new Date('2025-03-01T10:00:00.123Z'),
  }),
  vmRecordFixture(3, { osFamily: 'unknown', cpuCount: null, memoryMb: null, location: null, tags: {}, createdAtProvider: new Date('1999-12-31T23:59:59.000Z') }),
  vmRecordFixture(4, { osFamily: 'linux-other', osVersion: '22.04', osSource: 'image', rhelLicenseModel: 'unknown', createdAtProvider: new Date('2024-02-29T00:00:00.001Z') }),
];

describe.each(TEST_DRIVERS)('GET /vms rows read raw on %s', (driver) => {
  let db: TestDatabase;
  let query: VmQueryRepository;
  let providerId: string;

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    query = vmQueriesOn(db.dataSource);
    providerId = (await insertProvider(db.dataSource)).id;
    const graph: InventoryGraph = { ...emptyInventoryGraph(), vms: RECORDS, nics: [nicOf(2), nicOf(2, { nativeId: 'nic-2b', primary: false, privateIps: ['10.1.1.2'], publicIps: [] }), nicOf(4)] };
    await new InventoryPersister(db.dataSource).save(providerId, null, graph, { kind: 'full' });
    // An archived VM (archivedAt and archiveReason set), as a retirement leaves it.
    await db.dataSource.getRepository(VmEntity).update({ providerId, nativeId: 'vm-native-4' }, { archivedAt: new Date('2026-01-02T03:04:05.678Z'), archiveReason: 'retired' });
  });
  afterAll(async () => {
    await db?.close();
  });

  /** The answer as it was built before: entities of every listed column, paginated by the same keyset. */
  async function entityPage(sort: string, limit: number, cursor?: string) {
    const listed = db.dataSource.getRepository(VmEntity).metadata.columns.filter((c) => c.propertyName !== 'details').map((c) => `vm.${c.propertyName}`);
    const qb = db.dataSource.getRepository(VmEntity).createQueryBuilder('vm').select(listed).where('vm.providerId = :providerId', { providerId });
    return paginate(qb, 'vm', parseSort(sort, VM_SORTS, 'name'), limit, cursor);
  }

  it('maps every row to the JSON the hydrated entity gave: same fields, types, nulls, dates and JSON', async () => {
    const before = await entityPage('name', 100);
    const after = await query.list({ provider: providerId, archived: 'all' }, { limit: 100 });
    expect(after.items.map((row) => row.name)).toEqual(['vm-00001', 'vm-00002', 'vm-00003', 'vm-00004']);
    expect(after.items.map((row) => row.id)).toEqual(before.items.map((vm) => vm.id));
    for (const [i, row] of after.items.entries()) {
      const entity = before.items[i] as unknown as Record<string, unknown>;
      const keys = Object.keys(row);
      expect(keys.sort()).toEqual(Object.keys(entity).filter((key) => entity[key] !== undefined).sort());
      // Byte for byte, in the row's own key order: what JSON.stringify of each would write.
      expect(JSON.stringify(row, keys)).toBe(JSON.stringify(entity, keys));
      for (const key of keys) expect({ key, value: JSON.stringify((row as unknown as Record<string, unknown>)[key]) }).toEqual({ key, value: JSON.stringify(entity[key]) });
    }
    const [plain, full, unknown, archived] = after.items;
    expect(plain).toMatchObject({ uid: null, resourceGroup: null, osName: null, osVersion: null, licenseType: null, archivedAt: null, archiveReason: null, createdAtProvider: null, tags: {}, ipAddresses: [] });
    expect(full).toMatchObject({ cpuCount: 0, memoryMb: 2147483647, ipAddresses: ['10.1.0.2', '10.1.1.2', '20.1.0.2'], createdAtProvider: '2025-03-01T10:00:00.123Z' });
    expect(full.tags).toEqual(RECORDS[1].tags);
    expect(unknown).toMatchObject({ cpuCount: null, memoryMb: null, location: null, createdAtProvider: '1999-12-31T23:59:59.000Z' });
    expect(archived).toMatchObject({ archivedAt: '2026-01-02T03:04:05.678Z', archiveReason: 'retired', createdAtProvider: '2024-02-29T00:00:00.001Z' });
    expect(typeof full.createdAt).toBe('string');
    expect(new Date(full.createdAt).toJSON()).toBe(full.createdAt);
  });

  it.each([['name'], ['-updatedAt'], ['createdAt'], ['-powerState'], ['osFamily']])('hands out the same cursors as before, sorted by %s', async (sort) => {
    let cursor: string | undefined;
    let pages = 0;
    do {
      const before = await entityPage(sort, 1, cursor);
      const after = await query.list({ provider: providerId, archived: 'all' }, { limit: 1, cursor, sort });
      expect(after.items.map((row) => row.id)).toEqual(before.items.map((vm) => vm.id));
      expect(after.nextCursor).toBe(before.nextCursor);
      cursor = after.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(RECORDS.length);
  });

  it('reads timestamps TypeORM did not write (no milliseconds, microseconds, an offset) the way hydration does', async () => {
    const id = randomUUID();
    await db.dataSource.getRepository(VmEntity).insert({ ...(await db.dataSource.getRepository(VmEntity).findOneByOrFail({ providerId, nativeId: 'vm-native-1' })), id, nativeId: 'vm-native-raw', name: 'vm-raw' });
    if (driver === 'sqlite') {
      await db.dataSource.query(`UPDATE "vms" SET "created_at" = '2025-05-06 07:08:09', "created_at_provider" = '2025-05-06T07:08:09.5Z' WHERE "id" = ?`, [id]);
    } else {
      await db.dataSource.query(`UPDATE "vms" SET "created_at" = '2025-05-06 07:08:09.123987+02', "created_at_provider" = '2025-05-06 07:08:09.999999+00' WHERE "id" = $1`, [id]);
    }
    const [row] = (await query.list({ provider: providerId, q: 'vm-raw' }, { limit: 10 })).items;
    const entity = await db.dataSource.getRepository(VmEntity).findOneByOrFail({ id });
    expect({ createdAt: row.createdAt, createdAtProvider: row.createdAtProvider }).toEqual({ createdAt: entity.createdAt.toJSON(), createdAtProvider: entity.createdAtProvider?.toJSON() });
    await db.dataSource.getRepository(VmEntity).delete({ id });
  });
});
