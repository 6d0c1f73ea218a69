import { randomUUID } from 'node:crypto';
import { emptyInventoryGraph } from '@hybridforms/core';
import { EventCheckpointEntity, EventEntity, VmEntity } from '../entities/index.js';
import { InventoryPersister } from '../inventory.persister.js';
import { insertProvider, openTestDatabase, TEST_DRIVERS, type TestDatabase } from '../testing/test-database.js';
import { vmRecordFixture } from '../testing/vm-record.fixture.js';
import { EventRepository } from './event.repository.js';

const NOW_MS = Date.UTC(2026, 10, 25, 12, 30, 0);

describe.each(TEST_DRIVERS)('event repository on %s', (driver) => {
  let db: TestDatabase;
  let providerId: string;
  let events: EventRepository;

  const row = (n: number, over: Partial<EventEntity> = {}): EventEntity => ({
    id: randomUUID(),
    providerId,
    nativeId: `evt-${n}`,
    occurredAt: new Date(NOW_MS - (100 - n) * 1000),
    receivedAt: new Date(NOW_MS),
    type: 'vm.started',
    vmNativeId: 'vm-native-0',
    vmId: null,
    vmName: 'vm-0',
    status: 'Succeeded',
    actor: 'ops@example.com',
    message: `event ${n}`,
    raw: { n },
    ...over,
  });

  beforeEach(async () => {
    db = await openTestDatabase(driver);
    providerId = (await insertProvider(db.dataSource)).id;
    events = new EventRepository(db.dataSource, db.dataSource.getRepository(EventEntity), db.dataSource.getRepository(EventCheckpointEntity));
  });

  afterEach(() => db.close());

  it('links events to a VM inventoried after them, and lists by VM, type and time', async () => {
    await events.storeBatch(providerId, [row(1, { vmNativeId: 'vm-native-9', type: 'vm.created' }), row(2, { vmNativeId: 'vm-native-9' }), row(3)], null, new Date(NOW_MS), () => []);
    await new InventoryPersister(db.dataSource).save(providerId, null, { ...emptyInventoryGraph(), vms: [vmRecordFixture(9)] }, { kind: 'targeted', nativeIds: ['vm-native-9'] });
    expect(await events.linkVms(providerId)).toBe(2);
    const vm9 = await db.dataSource.getRepository(VmEntity).findOneByOrFail({ nativeId: 'vm-native-9' });
    const forVm = await events.list({ vm: { providerId, nativeId: vm9.nativeId } }, { limit: 10 });
    expect(forVm.items.map((e) => [e.nativeId, e.vmId])).toEqual([
      ['evt-2', vm9.id],
      ['evt-1', vm9.id],
    ]);
    const created = await events.list({ type: ['vm.created'] }, { limit: 10 });
    expect(created.items.map((e) => e.nativeId)).toEqual(['evt-1']);
    const window = await events.list({ since: new Date(NOW_MS - 98_500), until: new Date(NOW_MS - 97_000) }, { limit: 10 });
    expect(window.items.map((e) => e.nativeId)).toEqual(['evt-2']);
    const page1 = await events.list({}, { limit: 2 });
    const page2 = await events.list({}, { limit: 2, cursor: page1.nextCursor! });
    expect([...page1.items, ...page2.items].map((e) => e.nativeId)).toEqual(['evt-3', 'evt-2', 'evt-1']);
    expect(page2.nextCursor).toBeNull();
  });
});
