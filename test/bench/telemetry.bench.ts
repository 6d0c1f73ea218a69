/**
 * `npm run bench:telemetry`: ingest PT1M samples of 2,000 VMs × 6 metrics through the metric store
 * (dedupe, upsert, rollup marks, one transaction per capture window), on SQLite and PostgreSQL,
 * against a floor measured in the same run: the same rows, in the same batches, inserted by a
 * plain multi-row INSERT into a table of the same shape. Then the incremental rollup of everything
 * ingested, and the latency of metric queries on the result. A full day (1,380 minutes, the
 * window the store accepts, ≈ 16.6 million samples) is BENCH_TELEMETRY_MINUTES=1380; the default
 * is a stated fraction so a run takes minutes, not an hour.
 */
import { emptyInventoryGraph, loadAppConfig, METRIC_NAMES, type AppConfig } from '@hybridforms/core';
import {
  bucketOf,
  HOUR,
  InventoryPersister,
  MetricRepository,
  SqlDialect,
  VmEntity,
  type StoredSample,
} from '@hybridforms/persistence';
import { insertProvider, openTestDatabase, TEST_DRIVERS, vmQueriesOn, vmRecordFixture, type TestDatabase } from '@hybridforms/persistence/testing';
import { MetricQueryService, MetricRollupService, MetricStore } from '@hybridforms/telemetry';

const VM_COUNT = Number(process.env.BENCH_TELEMETRY_VMS ?? 2_000);
const MINUTES = Number(process.env.BENCH_TELEMETRY_MINUTES ?? 240);
// One batch = one capture window of the whole fleet, as the scheduled capture stores it.
const WINDOW_MINUTES = 10;
const FLOOR_ROWS_PER_STATEMENT = 1000;
const QUERY_RUNS = 20;
const TIMEOUT_MS = 3 * 60 * 60 * 1000;

interface Row {
  driver: string;
  samples: number;
  floorMs: number;
  ingestMs: number;
  rollupMs: number;
  vmHours: number;
  queries: Record<string, number>;
}

const config: AppConfig = loadAppConfig({});
const rows: Row[] = [];

/** The samples of one capture window for the whole fleet. */
function windowSamples(vmIds: string[], startTs: number): StoredSample[] {
  const samples: StoredSample[] = [];
  for (const [i, vmId] of vmIds.entries()) {
    for (const [m, name] of METRIC_NAMES.entries()) {
      for (let k = 0; k < WINDOW_MINUTES; k++) {
        const ts = startTs + k * 60;
        samples.push({ vmId, name, ts, value: ((i * 31 + m * 17 + ts / 60) % 1000) / 10 });
      }
    }
  }
  return samples;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

afterAll(() => {
  const lines = [
    `telemetry benchmark: ${VM_COUNT} VMs × ${METRIC_NAMES.length} metrics × ${MINUTES} minutes = ${VM_COUNT * METRIC_NAMES.length * MINUTES} PT1M samples ` +
      `(${((MINUTES / 1380) * 100).toFixed(1)}% of a day), in capture windows of ${WINDOW_MINUTES} minutes`,
    ...rows.map(
      (r) =>
        `${r.driver.padEnd(9)} floor (plain INSERT of ${FLOOR_ROWS_PER_STATEMENT} rows per statement) ${r.floorMs.toFixed(0)} ms = ${rate(r.samples, r.floorMs)} samples/s; ` +
        `ingest ${r.ingestMs.toFixed(0)} ms = ${rate(r.samples, r.ingestMs)} samples/s (${(r.ingestMs / r.floorMs).toFixed(2)}x floor); ` +
        `rollup of ${r.vmHours} vm-hours ${r.rollupMs.toFixed(0)} ms; queries (median of ${QUERY_RUNS}): ` +
        Object.entries(r.queries)
          .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
          .join(', '),
    ),
  ];
  console.log(lines.join('\n'));
});

function rate(samples: number, ms: number): string {
  return Math.round(samples / (ms / 1000)).toLocaleString('en-US');
}

describe.each(TEST_DRIVERS)(`telemetry benchmark on %s`, (driver) => {
  let db: TestDatabase;
  let vmIds: string[];

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    const providerId = (await insertProvider(db.dataSource)).id;
    const graph = { ...emptyInventoryGraph(), vms: Array.from({ length: VM_COUNT }, (_, n) => vmRecordFixture(n)) };
    await new InventoryPersister(db.dataSource).save(providerId, null, graph, { kind: 'full' });
    vmIds = (await db.dataSource.getRepository(VmEntity).find({ select: { id: true }, order: { name: 'ASC' } })).map((vm) => vm.id);
    // The floor's table has the samples table's shape: the same key and the same time index.
    const withoutRowid = driver === 'sqlite' ? ' WITHOUT ROWID' : '';
    await db.dataSource.query(
      `CREATE TABLE "floor_samples" ("vm_id" varchar(36) NOT NULL, "name" varchar(32) NOT NULL, "ts" bigint NOT NULL, "value" double precision NOT NULL, PRIMARY KEY ("vm_id", "name", "ts"))${withoutRowid}`,
    );
    await db.dataSource.query(`CREATE INDEX "IDX_floor_samples_ts" ON "floor_samples" ("ts")`);
  }, TIMEOUT_MS);
  afterAll(() => db?.close());

  it(
    'ingests, rolls up and queries a fleet’s samples',
    async () => {
      const nowMs = Date.now();
      const repository = new MetricRepository(
        db.dataSource,
        vmQueriesOn(db.dataSource),
      );
      const store = new MetricStore(repository, config);
      const firstTs = bucketOf(store.oldestAcceptedTs(nowMs), 60);
      const windows = Math.ceil(MINUTES / WINDOW_MINUTES);
      const dialect = SqlDialect.of(db.dataSource);

      let floorMs = 0;
      let ingestMs = 0;
      let samples = 0;
      for (let w = 0; w < windows; w++) {
        const batch = windowSamples(vmIds, firstTs + w * WINDOW_MINUTES * 60);
        samples += batch.length;
        // Alternate which goes first, so neither always meets a warmer cache.
        const floor = async () => {
          const started = performance.now();
          await db.dataSource.transaction(async (manager) => {
            for (let i = 0; i < batch.length; i += FLOOR_ROWS_PER_STATEMENT) {
              const chunk = batch.slice(i, i + FLOOR_ROWS_PER_STATEMENT);
              await manager.query(
                dialect.sql(`INSERT INTO "floor_samples" ("vm_id", "name", "ts", "value") VALUES ${dialect.valuesList(chunk.length, 4)}`),
                chunk.flatMap((s) => [s.vmId, s.name, s.ts, s.value]),
              );
            }
          });
          floorMs += performance.now() - started;
        };
        const ours = async () => {
          const started = performance.now();
          const result = await store.ingest(batch, nowMs);
          ingestMs += performance.now() - started;
          expect(result).toEqual({ written: batch.length, tooOld: 0, duplicates: 0 });
        };
        if (w % 2 === 0) {
          await floor();
          await ours();
        } else {
          await ours();
          await floor();
        }
      }
      const [{ n }] = (await db.dataSource.query(`SELECT COUNT(*) AS "n" FROM "metric_samples"`)) as { n: unknown }[];
      expect(Number(n)).toBe(samples);

      const rollups = new MetricRollupService(repository);
      const rollupStarted = performance.now();
      const rolled = await rollups.rollupPending();
      const rollupMs = performance.now() - rollupStarted;
      const lastTs = firstTs + windows * WINDOW_MINUTES * 60;
      expect(rolled.vmHours).toBe(VM_COUNT * (bucketOf(lastTs - 60, HOUR) / HOUR - bucketOf(firstTs, HOUR) / HOUR + 1));

      const queries = new MetricQueryService(repository, config);
      const lastHour = { from: new Date((lastTs - HOUR) * 1000), to: new Date(lastTs * 1000) };
      const all = { from: new Date(firstTs * 1000), to: new Date(lastTs * 1000) };
      const timed = async (work: () => Promise<unknown>): Promise<number> => {
        const times: number[] = [];
        for (let i = 0; i < QUERY_RUNS; i++) {
          const started = performance.now();
          await work();
          times.push(performance.now() - started);
        }
        return median(times);
      };
      const vm = vmIds[VM_COUNT >> 1];
      const series = await queries.series(vm, METRIC_NAMES, { ...lastHour, interval: 'raw' });
      expect(series.every((s) => s.points.length === 60)).toBe(true);
      rows.push({
        driver,
        samples,
        floorMs,
        ingestMs,
        rollupMs,
        vmHours: rolled.vmHours,
        queries: {
          'one VM, 6 metrics, last hour raw': await timed(() => queries.series(vm, METRIC_NAMES, { ...lastHour, interval: 'raw' })),
          'one VM, 6 metrics, whole range hourly': await timed(() => queries.series(vm, METRIC_NAMES, { ...all, interval: 'hour' })),
          [`fleet summary of ${VM_COUNT / 2} RHEL VMs, last hour raw`]: await timed(() => queries.summary({ osFamily: ['rhel'] }, { ...lastHour, interval: 'raw' })),
          'fleet summary of all VMs, whole range hourly': await timed(() => queries.summary({}, { ...all, interval: 'hour' })),
        },
      });
    },
    TIMEOUT_MS,
  );
});
