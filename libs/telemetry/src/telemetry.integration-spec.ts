import { emptyInventoryGraph, loadAppConfig, type AppConfig, type MetricName, type ProviderEvent } from '@hybridforms/core';
import { LocalClusterBus } from '@hybridforms/jobs';
import {
  EventCheckpointEntity,
  EventEntity,
  DAY,
  EventRepository,
  HOUR,
  InventoryPersister,
  MetricRepository,
  VmEntity,
  type StoredSample,
} from '@hybridforms/persistence';
import { insertProvider, openTestDatabase, TEST_DRIVERS, vmQueriesOn, vmRecordFixture, type TestDatabase } from '@hybridforms/persistence/testing';
import { EventStream } from './event-stream.js';
import { EventStore } from './event.store.js';
import { MetricQueryService } from './metric-query.service.js';
import { MetricRetentionService } from './metric-retention.service.js';
import { MetricRollupService } from './metric-rollup.service.js';
import { MetricStore } from './metric.store.js';

const config: AppConfig = loadAppConfig({});
// A fixed "now" on an hour boundary plus 30 minutes keeps every window below exact.
const NOW_MS = Date.UTC(2026, 10, 25, 12, 30, 0);
const NOW = NOW_MS / 1000;

function event(n: number, over: Partial<ProviderEvent> = {}): ProviderEvent {
  return {
    nativeId: `evt-${n}`,
    occurredAt: new Date(NOW_MS - (100 - n) * 1000),
    type: 'vm.started',
    vmNativeId: 'vm-native-0',
    vmName: 'vm-0',
    status: 'Succeeded',
    actor: 'ops@example.com',
    message: `event ${n}`,
    refreshesVm: true,
    raw: { n },
    ...over,
  };
}

/** A deterministic pseudo-random stream, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe.each(TEST_DRIVERS)('telemetry store on %s', (driver) => {
  let db: TestDatabase;
  let providerId: string;
  let vmIds: string[];
  let events: EventStore;
  let eventRows: EventRepository;
  let stream: EventStream;
  let metrics: MetricStore;
  let rollups: MetricRollupService;
  let retention: MetricRetentionService;
  let metricQueries: MetricQueryService;

  beforeEach(async () => {
    db = await openTestDatabase(driver);
    const ds = db.dataSource;
    providerId = (await insertProvider(ds)).id;
    const graph = { ...emptyInventoryGraph(), vms: [0, 1, 2, 3].map((n) => vmRecordFixture(n)) };
    await new InventoryPersister(ds).save(providerId, null, graph, { kind: 'full' });
    const rows = await ds.getRepository(VmEntity).find({ order: { name: 'ASC' } });
    vmIds = rows.map((row) => row.id);
    eventRows = new EventRepository(ds, ds.getRepository(EventEntity), ds.getRepository(EventCheckpointEntity));
    stream = new EventStream(new LocalClusterBus(), eventRows);
    events = new EventStore(eventRows, stream);
    const vmQueries = vmQueriesOn(ds);
    const metricRows = new MetricRepository(ds, vmQueries);
    metrics = new MetricStore(metricRows, config);
    rollups = new MetricRollupService(metricRows);
    retention = new MetricRetentionService(metricRows, eventRows, config);
    metricQueries = new MetricQueryService(metricRows, config);
  });

  afterEach(() => db.close());

  const count = async (table: string): Promise<number> => {
    const [row] = (await db.dataSource.query(`SELECT COUNT(*) AS "n" FROM "${table}"`)) as { n: unknown }[];
    return Number(row.n);
  };

  describe('events', () => {
    it('stores each native event once, with the checkpoint, and links known VMs', async () => {
      const first = await events.store(providerId, { events: [event(1), event(2, { vmNativeId: 'not-yet-inventoried' })], checkpoint: 'cp-1' });
      expect(first.stored.map((e) => e.nativeId)).toEqual(['evt-1', 'evt-2']);
      expect(first.stored[0].vmId).toBe(vmIds[0]);
      expect(first.stored[1].vmId).toBeNull();

      // The next poll re-reads an overlap: the repeated event is dropped, the new one stored.
      const second = await events.store(providerId, { events: [event(2), event(3), event(3)], checkpoint: 'cp-2' });
      expect(second.stored.map((e) => e.nativeId)).toEqual(['evt-3']);
      expect(second.duplicates).toBe(1);
      expect(await count('events')).toBe(3);
      expect(await events.checkpointOf(providerId)).toBe('cp-2');
      expect((await events.state(providerId))?.eventsStored).toBe(3);
    });

    it('queues a refresh target only for new events that settle a VM change, one per VM', async () => {
      const result = await events.store(providerId, {
        events: [
          event(1),
          event(2), // the same VM again: one target
          event(3, { vmNativeId: 'vm-native-1', refreshesVm: false, status: 'Started' }),
          event(4, { vmNativeId: null, type: 'other' }),
          event(5, { vmNativeId: 'vm-native-2' }),
        ],
        checkpoint: 'cp',
      });
      expect(result.refreshTargets.sort()).toEqual(['vm-native-0', 'vm-native-2']);
      const rows = (await db.dataSource.query(`SELECT "native_id" FROM "refresh_targets" ORDER BY "native_id"`)) as { native_id: string }[];
      expect(rows.map((r) => r.native_id)).toEqual(['vm-native-0', 'vm-native-2']);
      // A re-read of the same events asks for nothing more.
      expect((await events.store(providerId, { events: [event(1), event(5)], checkpoint: 'cp' })).refreshTargets).toEqual([]);

      // A refresh takes the targets; one asked for again meanwhile stays for the next refresh.
      const taken = await eventRows.refreshTargets(providerId);
      expect(taken.nativeIds.sort()).toEqual(['vm-native-0', 'vm-native-2']);
      await events.store(providerId, { events: [event(6, { vmNativeId: 'vm-native-2' })], checkpoint: 'cp' }, new Date(taken.requestedUpTo!.getTime() + 1000));
      await eventRows.clearRefreshTargets(providerId, taken.nativeIds, taken.requestedUpTo!);
      expect((await eventRows.refreshTargets(providerId)).nativeIds).toEqual(['vm-native-2']);
      expect(await eventRows.providersWithRefreshTargets()).toEqual([providerId]);
    });

    it('stores nothing and keeps the old checkpoint when the transaction fails half-way', async () => {
      await events.store(providerId, { events: [event(1)], checkpoint: 'cp-1' });
      // A type too long for its column fails on PostgreSQL; a NULL occurredAt fails on both.
      const broken = [event(2), event(3, { occurredAt: null as unknown as Date })];
      await expect(events.store(providerId, { events: broken, checkpoint: 'cp-2' })).rejects.toThrow();
      expect(await count('events')).toBe(1);
      expect(await events.checkpointOf(providerId)).toBe('cp-1');
      await events.recordFailure(providerId, 'throttled');
      expect(await events.checkpointOf(providerId)).toBe('cp-1');
      expect((await events.state(providerId))?.lastError).toBe('throttled');
    });

    it('publishes only newly stored events to live watchers', async () => {
      const seen: string[] = [];
      const subscription = stream.events$.subscribe((e) => seen.push(e.nativeId));
      await events.store(providerId, { events: [event(1), event(2)], checkpoint: 'a' });
      await events.store(providerId, { events: [event(2), event(3)], checkpoint: 'b' });
      subscription.unsubscribe();
      expect(seen).toEqual(['evt-1', 'evt-2', 'evt-3']);
    });
  });

  describe('metrics', () => {
    const names: MetricName[] = ['cpu_percent', 'memory_available_bytes', 'network_in_bytes'];

    /** Samples over the last `hours` hours for every VM, each value pseudo-random. */
    function generate(next: () => number, hours: number): StoredSample[] {
      const samples: StoredSample[] = [];
      const start = NOW - hours * HOUR;
      for (const vmId of vmIds) {
        for (const name of names) {
          for (let ts = start; ts < NOW; ts += 60) {
            if (next() < 0.1) continue; // gaps, as real capture has
            samples.push({ vmId, name, ts, value: Math.round(next() * 10_000) / 100 });
          }
        }
      }
      return samples;
    }

    /** The rollups computed independently from the final raw samples. */
    function expectedRollups(samples: StoredSample[], size: number): Map<string, { min: number; max: number; sum: number; count: number }> {
      const latest = new Map<string, StoredSample>();
      for (const s of samples) latest.set(`${s.vmId}|${s.name}|${s.ts}`, s);
      const buckets = new Map<string, { min: number; max: number; sum: number; count: number }>();
      for (const s of latest.values()) {
        const key = `${s.vmId}|${s.name}|${s.ts - (s.ts % size)}`;
        const b = buckets.get(key) ?? { min: Infinity, max: -Infinity, sum: 0, count: 0 };
        b.min = Math.min(b.min, s.value);
        b.max = Math.max(b.max, s.value);
        b.sum += s.value;
        b.count += 1;
        buckets.set(key, b);
      }
      return buckets;
    }

    async function storedRollups(table: string): Promise<Map<string, { min: number; max: number; sum: number; count: number }>> {
      const rows = (await db.dataSource.query(`SELECT "vm_id", "name", "bucket", "min", "max", "sum", "count" FROM "${table}"`)) as Record<string, unknown>[];
      return new Map(
        rows.map((r) => [
          `${String(r.vm_id)}|${String(r.name)}|${Number(r.bucket)}`,
          { min: Number(r.min), max: Number(r.max), sum: Number(r.sum), count: Number(r.count) },
        ]),
      );
    }

    function expectSameRollups(actual: Map<string, { sum: number; min: number; max: number; count: number }>, expected: typeof actual): void {
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [key, e] of expected) {
        const a = actual.get(key)!;
        expect({ key, min: a.min, max: a.max, count: a.count }).toEqual({ key, min: e.min, max: e.max, count: e.count });
        expect(a.sum).toBeCloseTo(e.sum, 6);
      }
    }

    it('rolls up exactly what an independent computation over the raw samples gives, however the samples arrive', async () => {
      const next = random(42);
      const samples = generate(next, 6);
      // Out of order, in uneven batches, with some samples sent twice and some revised later.
      const shuffled = [...samples].sort(() => next() - 0.5);
      const revisions = shuffled.slice(0, 200).map((s) => ({ ...s, value: s.value + 1000 }));
      const all = [...shuffled, ...shuffled.slice(500, 900), ...revisions];
      for (let i = 0; i < all.length; ) {
        const size = 500 + Math.floor(next() * 3000);
        await metrics.ingest(all.slice(i, i + size), NOW_MS);
        if (next() < 0.5) await rollups.rollupPending(); // rollups interleaved with ingestion
        i += size;
      }
      await rollups.rollupPending();
      expect(await count('metric_rollup_pending')).toBe(0);
      expect(await count('metric_samples')).toBe(new Set(samples.map((s) => `${s.vmId}|${s.name}|${s.ts}`)).size);
      expectSameRollups(await storedRollups('metric_rollups_hourly'), expectedRollups(all, HOUR));
      expectSameRollups(await storedRollups('metric_rollups_daily'), expectedRollups(all, DAY));

      // A late sample for an old hour recomputes that hour (and its day) only.
      const late: StoredSample = { vmId: vmIds[1], name: 'cpu_percent', ts: NOW - 5 * HOUR + 7, value: 99_999 };
      await metrics.ingest([late], NOW_MS);
      expect(await count('metric_rollup_pending')).toBe(1);
      const pass = await rollups.rollupPending();
      expect(pass.vmHours).toBe(1);
      expectSameRollups(await storedRollups('metric_rollups_hourly'), expectedRollups([...all, late], HOUR));
      expectSameRollups(await storedRollups('metric_rollups_daily'), expectedRollups([...all, late], DAY));
    });

    it('refuses samples older than the realtime window instead of rolling up a half-purged hour', async () => {
      const oldest = metrics.oldestAcceptedTs(NOW_MS);
      const result = await metrics.ingest(
        [
          { vmId: vmIds[0], name: 'cpu_percent', ts: oldest - 60, value: 1 },
          { vmId: vmIds[0], name: 'cpu_percent', ts: oldest, value: 2 },
        ],
        NOW_MS,
      );
      expect(result).toEqual({ written: 1, tooOld: 1, duplicates: 0 });
    });

    it('purges exactly the expired rows, and never raw samples whose hour is not rolled up', async () => {
      const cutoff = NOW - 12 * HOUR - 30 * 60 - (config.metrics.realtimeRetentionHours - 12) * HOUR; // = hour-aligned realtime cutoff
      expect(cutoff % HOUR).toBe(0);
      const ds = db.dataSource;
      // Rows around each cutoff written directly (as if ingested long ago and rolled up).
      const rawTimes = [cutoff - HOUR, cutoff - 60, cutoff - 1, cutoff, cutoff + 1, cutoff + HOUR];
      for (const ts of rawTimes) await ds.query(`INSERT INTO "metric_samples" ("vm_id", "name", "ts", "value") VALUES ('${vmIds[0]}', 'cpu_percent', ${ts}, 1)`);
      const hourlyCutoff = NOW - 30 * 60 - config.metrics.hourlyRetentionDays * DAY;
      for (const bucket of [hourlyCutoff - HOUR, hourlyCutoff, hourlyCutoff + HOUR]) {
        await ds.query(`INSERT INTO "metric_rollups_hourly" VALUES ('${vmIds[0]}', 'cpu_percent', ${bucket}, 1, 1, 1, 1)`);
      }
      const dailyCutoff = NOW - 12 * HOUR - 30 * 60 - config.metrics.dailyRetentionDays * DAY;
      for (const bucket of [dailyCutoff - DAY, dailyCutoff, dailyCutoff + DAY]) {
        await ds.query(`INSERT INTO "metric_rollups_daily" VALUES ('${vmIds[0]}', 'cpu_percent', ${bucket}, 1, 1, 1, 1)`);
      }
      const result = await retention.purge(NOW_MS);
      expect(result.cutoffs).toEqual({ samples: cutoff, hourly: hourlyCutoff, daily: dailyCutoff });
      expect(result).toMatchObject({ samples: 3, hourly: 1, daily: 1 });
      const left = (await ds.query(`SELECT "ts" FROM "metric_samples" ORDER BY "ts"`)) as { ts: unknown }[];
      expect(left.map((r) => Number(r.ts))).toEqual([cutoff, cutoff + 1, cutoff + HOUR]);
      expect(await count('metric_rollups_hourly')).toBe(2);
      expect(await count('metric_rollups_daily')).toBe(2);

      // A pending hour older than the cutoff holds its raw samples back until it is rolled up.
      await ds.query(`INSERT INTO "metric_samples" ("vm_id", "name", "ts", "value") VALUES ('${vmIds[1]}', 'cpu_percent', ${cutoff - 2 * HOUR}, 5)`);
      await ds.query(`INSERT INTO "metric_rollup_pending" VALUES (${cutoff - 2 * HOUR}, '${vmIds[1]}', 0)`);
      expect((await retention.purge(NOW_MS)).samples).toBe(0);
      await rollups.rollupPending();
      expect((await retention.purge(NOW_MS)).samples).toBe(1);
      expect(await count('metric_rollups_hourly')).toBe(3);
    });

    it('answers series from the raw, hourly and daily tables and a fleet summary by VM filter', async () => {
      const samples: StoredSample[] = [];
      for (const [i, vmId] of vmIds.entries()) {
        for (let ts = NOW - 2 * HOUR; ts < NOW; ts += 60) samples.push({ vmId, name: 'cpu_percent', ts, value: 10 * (i + 1) });
      }
      await metrics.ingest(samples, NOW_MS);
      await rollups.rollupPending();

      const from = new Date((NOW - HOUR) * 1000);
      const to = new Date(NOW_MS);
      const [raw] = await metricQueries.series(vmIds[1], ['cpu_percent'], { from, to, interval: 'raw' });
      expect(raw).toMatchObject({ name: 'cpu_percent', unit: 'percent' });
      expect(raw.points).toHaveLength(60);
      expect(raw.points[0]).toEqual({ timestamp: from, value: 20 });

      const [hourly, memory] = await metricQueries.series(vmIds[2], ['cpu_percent', 'memory_available_bytes'], {
        from: new Date((NOW - 3 * HOUR) * 1000),
        to,
        interval: 'hour',
      });
      expect(hourly.points.map((p) => p.count)).toEqual([30, 60, 30]);
      expect(hourly.points.every((p) => p.value === 30 && p.min === 30 && p.max === 30)).toBe(true);
      expect(memory.points).toEqual([]);
      const [daily] = await metricQueries.series(vmIds[0], ['cpu_percent'], { from: new Date((NOW - DAY) * 1000), to, interval: 'day' });
      expect(daily.points).toEqual([{ timestamp: new Date(Date.UTC(2026, 10, 25)), value: 10, min: 10, max: 10, count: 120 }]);

      // VMs 0 and 2 are RHEL (10 and 30): the fleet average of RHEL is 20, over two VMs.
      const rhel = await metricQueries.summary({ osFamily: ['rhel'] }, { from, to, interval: 'raw' }, ['cpu_percent', 'disk_read_bytes']);
      expect(rhel.vmCount).toBe(2);
      expect(rhel.metrics[0]).toMatchObject({ name: 'cpu_percent', avg: 20, min: 10, max: 30, samples: 120, vms: 2 });
      expect(rhel.metrics[1]).toMatchObject({ name: 'disk_read_bytes', avg: null, samples: 0, vms: 0 });
      const hourlyFleet = await metricQueries.summary({}, { from: new Date((NOW - 2 * HOUR) * 1000), to, interval: 'hour' }, ['cpu_percent']);
      expect(hourlyFleet.metrics[0]).toMatchObject({ avg: 25, min: 10, max: 40, samples: 480, vms: 4 });

      expect(metricQueries.intervalFor(new Date(NOW_MS - HOUR * 1000), new Date(NOW_MS))).toBe('raw');
      expect(metricQueries.intervalFor(new Date(NOW_MS - 3 * DAY * 1000), new Date(NOW_MS))).toBe('hour');
      expect(metricQueries.intervalFor(new Date(NOW_MS - 60 * DAY * 1000), new Date(NOW_MS))).toBe('day');
      await expect(metricQueries.series(vmIds[0], ['cpu_percent'], { from: new Date(0), to, interval: 'raw' })).rejects.toThrow(/narrow/);
    });
  });
});
