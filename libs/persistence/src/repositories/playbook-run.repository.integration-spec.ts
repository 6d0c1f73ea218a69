import { randomUUID } from 'node:crypto';
import { NicEntity, PlaybookRunEntity, PlaybookRunEventEntity, ProviderEntity, VmEntity } from '../entities/index.js';
import { openTestDatabase, TEST_DRIVERS, type TestDatabase } from '../testing/test-database.js';
import { PlaybookRunRepository } from './playbook-run.repository.js';

const queuedRun = (over: Partial<PlaybookRunEntity> = {}): PlaybookRunEntity => ({
  id: randomUUID(),
  playbook: 'playbooks/rhel/gather-facts.yml',
  status: 'queued',
  credentialId: null,
  targets: { vmIds: [] },
  inventory: {},
  hosts: [],
  skipped: [],
  extraVars: {},
  limit: null,
  timeoutSeconds: 60,
  trigger: 'api',
  ruleId: null,
  eventId: null,
  requestedAt: new Date(),
  startedAt: null,
  finishedAt: null,
  rc: null,
  reason: null,
  hostSummary: {},
  eventCount: 0,
  stdout: null,
  owner: null,
  ...over,
});

const runEvent = (runId: string, counter: number): PlaybookRunEventEntity => ({
  runId,
  counter,
  uuid: randomUUID(),
  event: 'runner_on_ok',
  created: new Date(),
  host: 'vm-1',
  task: 'ping',
  stdout: `event ${counter}`,
  data: {},
});

describe.each(TEST_DRIVERS)('playbook run repository on %s', (driver) => {
  let db: TestDatabase;
  let runs: PlaybookRunRepository;

  beforeEach(async () => {
    db = await openTestDatabase(driver);
    const ds = db.dataSource;
    runs = new PlaybookRunRepository(
      ds.getRepository(PlaybookRunEntity),
      ds.getRepository(PlaybookRunEventEntity),
      ds.getRepository(VmEntity),
      ds.getRepository(NicEntity),
      ds.getRepository(ProviderEntity),
    );
  });

  afterEach(() => db.close());

  it('claims a queued run once, and cancels only a run that has not started', async () => {
    const run = await runs.add(queuedRun());
    const other = await runs.add(queuedRun());
    expect(await runs.countUnfinished()).toBe(2);
    expect(await runs.claim(run.id, 'host:1', new Date())).toBe(true);
    expect(await runs.claim(run.id, 'host:2', new Date())).toBe(false);
    expect((await runs.findById(run.id))?.owner).toBe('host:1');
    expect(await runs.cancelQueued(run.id, new Date(), 'canceled before it started')).toBe(false);
    expect(await runs.cancelQueued(other.id, new Date(), 'canceled before it started')).toBe(true);
    expect((await runs.running()).map((r) => r.id)).toEqual([run.id]);
    expect(await runs.queued()).toEqual([]);
    await runs.finish(run.id, 'successful', { rc: 0, reason: 'x'.repeat(2000) }, new Date());
    const finished = await runs.findById(run.id);
    expect([finished?.status, finished?.rc, finished?.reason?.length]).toEqual(['successful', 0, 1024]);
    expect(await runs.countUnfinished()).toBe(0);
  });

  it('stores a batch of events once with the run’s count, and reads them after a counter or in a range', async () => {
    const run = await runs.add(queuedRun());
    const batch = Array.from({ length: 150 }, (_, i) => runEvent(run.id, i + 1));
    await runs.addEvents(run.id, batch);
    expect((await runs.findById(run.id))?.eventCount).toBe(150);
    // Events delivered again add no row.
    await runs.addEvents(run.id, batch.slice(140));
    expect((await runs.eventsAfter(run.id)).length).toBe(150);
    expect((await runs.eventsAfter(run.id, 148)).map((e) => e.counter)).toEqual([149, 150]);
    expect((await runs.eventsAfter(run.id, 10, 3)).map((e) => e.counter)).toEqual([11, 12, 13]);
    expect((await runs.eventsBetween(run.id, 20, 22)).map((e) => e.counter)).toEqual([20, 21, 22]);
  });
});
