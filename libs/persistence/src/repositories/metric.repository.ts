import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { MetricName } from '@hybridforms/core';
import { DAY, HOUR } from '../metric-time.js';
import { VmQueryRepository, type VmFilter } from '../queries/vm-query.repository.js';
import { SqlDialect, toNumber } from '../sql-dialect.js';

/** A sample as stored: our VM id, our metric name, epoch seconds. */
export interface StoredSample {
  vmId: string;
  name: MetricName;
  ts: number;
  value: number;
}

export const METRIC_INTERVALS = ['raw', 'hour', 'day'] as const;
export type MetricInterval = (typeof METRIC_INTERVALS)[number];

export interface MetricPoint {
  timestamp: Date;
  /** The sample (raw) or the mean over the bucket (hour, day). */
  value: number;
  min?: number;
  max?: number;
  count?: number;
}

/** One metric's figures over a fleet and a window, as the database aggregates them. */
export interface MetricAggregate {
  avg: number;
  min: number;
  max: number;
  /** Raw samples behind the figures. */
  samples: number;
  /** VMs that reported the metric in the window. */
  vms: number;
}

export type MetricRollupTable = 'metric_rollups_hourly' | 'metric_rollups_daily';

// SQLite binds at most 32766 parameters per statement; 4 per sample leaves room.
const SQLITE_CHUNK = 4000;
// PostgreSQL gets whole columns as arrays (unnest): 4 parameters whatever the row count.
const POSTGRES_CHUNK = 50_000;
const ROLLUP_VM_CHUNK = 400;
const ROLLUP_TABLES: Record<Exclude<MetricInterval, 'raw'>, MetricRollupTable> = { hour: 'metric_rollups_hourly', day: 'metric_rollups_daily' };

/** Metric samples, their hourly and daily rollups and the marks of the hours a rollup must recompute. */
@Injectable()
export class MetricRepository {
  private readonly dialect: SqlDialect;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly vms: VmQueryRepository,
  ) {
    this.dialect = SqlDialect.of(dataSource);
  }

  /**
   * Upserts samples (a re-read one replaces the stored value) and marks their (hour, VM) pairs
   * pending, in one transaction.
   */
  async ingest(samples: StoredSample[], pending: [bucket: number, vmId: string][], nowMs: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const chunk = this.dialect.postgres ? POSTGRES_CHUNK : SQLITE_CHUNK;
      for (let i = 0; i < samples.length; i += chunk) await this.insertSamples(manager, samples.slice(i, i + chunk));
      for (let i = 0; i < pending.length; i += chunk) await this.markPending(manager, pending.slice(i, i + chunk), nowMs);
    });
  }

  /**
   * Removes every sample and rollup of a provider's VMs (the tables carry no foreign key), in one
   * transaction with the caller's deletion of the provider.
   */
  async deleteForProvider(manager: EntityManager, providerId: string): Promise<void> {
    for (const table of ['metric_samples', 'metric_rollups_hourly', 'metric_rollups_daily', 'metric_rollup_pending']) {
      await manager.query(this.dialect.sql(`DELETE FROM "${table}" WHERE "vm_id" IN (SELECT "id" FROM "vms" WHERE "provider_id" = ?)`), [providerId]);
    }
  }

  /** The oldest pending hour (retention must not purge raw samples that are not rolled up yet). */
  async oldestPendingBucket(): Promise<number | null> {
    const [row] = await this.dialect.query<{ oldest: unknown }>(this.dataSource, `SELECT MIN("bucket") AS "oldest" FROM "metric_rollup_pending"`);
    return row?.oldest === null || row?.oldest === undefined ? null : toNumber(row.oldest);
  }

  /**
   * Recomputes, in one transaction, the hourly rollups of the pending (hour, VM) pairs of a UTC
   * day and the daily rollups of their VMs, from what is stored.
   */
  rollupDay(day: number): Promise<{ vmHours: number; hours: number }> {
    return this.dataSource.transaction((manager) => this.rollupDayIn(manager, day));
  }

  /**
   * Deletes rows before `cutoff` a slice of `slice` seconds per statement, each its own short
   * transaction, yielding between them; returns how many.
   */
  async purgeBefore(table: 'metric_samples' | MetricRollupTable, cutoff: number, slice: number): Promise<number> {
    const column = table === 'metric_samples' ? 'ts' : 'bucket';
    const [row] = await this.dialect.query<{ oldest: unknown }>(this.dataSource, `SELECT MIN("${column}") AS "oldest" FROM "${table}"`);
    if (row?.oldest === null || row?.oldest === undefined) return 0;
    let deleted = 0;
    for (let from = toNumber(row.oldest); from < cutoff; from += slice) {
      const to = Math.min(from + slice, cutoff);
      deleted += await this.dialect.execute(this.dataSource, `DELETE FROM "${table}" WHERE "${column}" >= ? AND "${column}" < ?`, [from, to]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return deleted;
  }

  /** A VM's points per metric in [from, to) epoch seconds, from the table of the interval, in time order. */
  async series(vmId: string, names: readonly MetricName[], interval: MetricInterval, from: number, to: number): Promise<Map<MetricName, MetricPoint[]>> {
    const list = names.map(() => '?').join(', ');
    const rows =
      interval === 'raw'
        ? await this.dialect.query<{ name: MetricName; t: unknown; value: unknown }>(
            this.dataSource,
            `SELECT "name", "ts" AS "t", "value" FROM "metric_samples" WHERE "vm_id" = ? AND "name" IN (${list}) AND "ts" >= ? AND "ts" < ? ORDER BY "name", "ts"`,
            [vmId, ...names, from, to],
          )
        : await this.dialect.query<{ name: MetricName; t: unknown; min: unknown; max: unknown; sum: unknown; count: unknown }>(
            this.dataSource,
            `SELECT "name", "bucket" AS "t", "min", "max", "sum", "count" FROM "${ROLLUP_TABLES[interval]}"
             WHERE "vm_id" = ? AND "name" IN (${list}) AND "bucket" >= ? AND "bucket" < ? ORDER BY "name", "bucket"`,
            [vmId, ...names, from, to],
          );
    const byName = new Map<MetricName, MetricPoint[]>(names.map((name) => [name, []]));
    for (const row of rows) {
      const point: MetricPoint =
        'sum' in row
          ? {
              timestamp: new Date(toNumber(row.t) * 1000),
              value: toNumber(row.sum) / toNumber(row.count),
              min: toNumber(row.min),
              max: toNumber(row.max),
              count: toNumber(row.count),
            }
          : { timestamp: new Date(toNumber(row.t) * 1000), value: toNumber((row as { value: unknown }).value) };
      byName.get(row.name)?.push(point);
    }
    return byName;
  }

  /** Per metric reported in [from, to), the figures over every VM matching the filter, and how many VMs match. */
  async summary(
    filter: VmFilter,
    names: readonly MetricName[],
    interval: MetricInterval,
    from: number,
    to: number,
  ): Promise<{ vmCount: number; byName: Map<MetricName, MetricAggregate> }> {
    const [vmSql, vmParams] = this.vms.idQuery(filter).getQueryAndParameters();
    const list = names.map(() => '?').join(', ');
    // The VM subquery's placeholders come first, so ours are numbered after them on PostgreSQL.
    const aggregate =
      interval === 'raw'
        ? { table: 'metric_samples', t: 'ts', avg: 'AVG(s."value")', min: 'MIN(s."value")', max: 'MAX(s."value")', count: 'COUNT(*)' }
        : {
            table: ROLLUP_TABLES[interval],
            t: 'bucket',
            avg: 'SUM(s."sum") / SUM(s."count")',
            min: 'MIN(s."min")',
            max: 'MAX(s."max")',
            count: 'SUM(s."count")',
          };
    const sql = `SELECT s."name" AS "name", ${aggregate.avg} AS "avg", ${aggregate.min} AS "min", ${aggregate.max} AS "max",
        ${aggregate.count} AS "samples", COUNT(DISTINCT s."vm_id") AS "vms"
      FROM "${aggregate.table}" s
      WHERE s."vm_id" IN (${vmSql}) AND s."name" IN (${list}) AND s."${aggregate.t}" >= ? AND s."${aggregate.t}" < ?
      GROUP BY s."name"`;
    const rows = (await this.dataSource.query(this.dialect.sql(sql, vmParams.length), [...vmParams, ...names, from, to])) as {
      name: MetricName;
      avg: unknown;
      min: unknown;
      max: unknown;
      samples: unknown;
      vms: unknown;
    }[];
    const [countSql, countParams] = this.vms.idQuery(filter).getQueryAndParameters();
    const [{ n }] = (await this.dataSource.query(`SELECT COUNT(*) AS "n" FROM (${countSql}) ids`, countParams)) as { n: unknown }[];
    return {
      vmCount: toNumber(n),
      byName: new Map(
        rows.map((row) => [
          row.name,
          { avg: toNumber(row.avg), min: toNumber(row.min), max: toNumber(row.max), samples: toNumber(row.samples), vms: toNumber(row.vms) },
        ]),
      ),
    };
  }

  private async insertSamples(manager: EntityManager, rows: StoredSample[]): Promise<void> {
    const conflict = `ON CONFLICT ("vm_id", "name", "ts") DO UPDATE SET "value" = excluded."value"`;
    if (this.dialect.postgres) {
      await manager.query(
        `INSERT INTO "metric_samples" ("vm_id", "name", "ts", "value")
         SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::float8[]) ${conflict}`,
        [rows.map((r) => r.vmId), rows.map((r) => r.name), rows.map((r) => r.ts), rows.map((r) => r.value)],
      );
      return;
    }
    await manager.query(
      `INSERT INTO "metric_samples" ("vm_id", "name", "ts", "value") VALUES ${this.dialect.valuesList(rows.length, 4)} ${conflict}`,
      rows.flatMap((r) => [r.vmId, r.name, r.ts, r.value]),
    );
  }

  private async markPending(manager: EntityManager, marks: [number, string][], nowMs: number): Promise<void> {
    // DO UPDATE, not DO NOTHING: on PostgreSQL the row lock makes a concurrent rollup's claim of
    // this mark wait for our commit, so it can never claim the mark and miss our samples.
    const conflict = `ON CONFLICT ("bucket", "vm_id") DO UPDATE SET "marked_at" = excluded."marked_at"`;
    if (this.dialect.postgres) {
      await manager.query(
        `INSERT INTO "metric_rollup_pending" ("bucket", "vm_id", "marked_at")
         SELECT b, v, $3::bigint FROM unnest($1::bigint[], $2::varchar[]) AS m(b, v) ${conflict}`,
        [marks.map((m) => m[0]), marks.map((m) => m[1]), nowMs],
      );
      return;
    }
    await manager.query(
      `INSERT INTO "metric_rollup_pending" ("bucket", "vm_id", "marked_at") VALUES ${this.dialect.valuesList(marks.length, 3)} ${conflict}`,
      marks.flatMap((m) => [m[0], m[1], nowMs]),
    );
  }

  private async rollupDayIn(manager: EntityManager, day: number): Promise<{ vmHours: number; hours: number }> {
    // Claiming deletes the marks first: samples that arrive after the claim mark their hour again.
    const claimed = await this.dialect.returning<{ bucket: unknown; vm_id: string }>(
      manager,
      `DELETE FROM "metric_rollup_pending" WHERE "bucket" >= ? AND "bucket" < ? RETURNING "bucket", "vm_id"`,
      [day, day + DAY],
    );
    const vmsByHour = new Map<number, string[]>();
    for (const row of claimed) {
      const bucket = toNumber(row.bucket);
      const vms = vmsByHour.get(bucket) ?? [];
      vms.push(row.vm_id);
      vmsByHour.set(bucket, vms);
    }
    for (const [hour, vms] of vmsByHour) {
      for (let i = 0; i < vms.length; i += ROLLUP_VM_CHUNK) {
        const chunk = vms.slice(i, i + ROLLUP_VM_CHUNK);
        await this.dialect.query(
          manager,
          `INSERT INTO "metric_rollups_hourly" ("vm_id", "name", "bucket", "min", "max", "sum", "count")
           SELECT "vm_id", "name", ?, MIN("value"), MAX("value"), SUM("value"), COUNT(*) FROM "metric_samples"
           WHERE "vm_id" IN (${placeholders(chunk.length)}) AND "ts" >= ? AND "ts" < ?
           GROUP BY "vm_id", "name"
           ${rollupUpsert}`,
          [hour, ...chunk, hour, hour + HOUR],
        );
      }
    }
    const vms = [...new Set(claimed.map((row) => row.vm_id))];
    for (let i = 0; i < vms.length; i += ROLLUP_VM_CHUNK) {
      const chunk = vms.slice(i, i + ROLLUP_VM_CHUNK);
      await this.dialect.query(
        manager,
        `INSERT INTO "metric_rollups_daily" ("vm_id", "name", "bucket", "min", "max", "sum", "count")
         SELECT "vm_id", "name", ?, MIN("min"), MAX("max"), SUM("sum"), SUM("count") FROM "metric_rollups_hourly"
         WHERE "vm_id" IN (${placeholders(chunk.length)}) AND "bucket" >= ? AND "bucket" < ?
         GROUP BY "vm_id", "name"
         ${rollupUpsert}`,
        [day, ...chunk, day, day + DAY],
      );
    }
    return { vmHours: claimed.length, hours: vmsByHour.size };
  }
}

const rollupUpsert = `ON CONFLICT ("vm_id", "name", "bucket") DO UPDATE SET "min" = excluded."min", "max" = excluded."max", "sum" = excluded."sum", "count" = excluded."count"`;

function placeholders(count: number): string {
  return new Array(count).fill('?').join(', ');
}
