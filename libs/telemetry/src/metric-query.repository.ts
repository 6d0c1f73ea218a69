import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, BadInputError, METRIC_NAMES, METRIC_UNITS, type AppConfig, type MetricName } from '@hybridforms/core';
import { SqlDialect, toNumber, type VmFilter, VmQueryRepository } from '@hybridforms/persistence';
import { bucketOf, DAY, HOUR } from './metric-time.js';

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

export interface MetricSeries {
  name: MetricName;
  unit: string;
  points: MetricPoint[];
}

export interface MetricRange {
  from: Date;
  to: Date;
  interval: MetricInterval;
}

export interface FleetMetric {
  name: MetricName;
  unit: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  /** Raw samples behind the figures. */
  samples: number;
  /** VMs that reported the metric in the window. */
  vms: number;
}

// A series request may not ask for more points than this; the client narrows the range or
// takes a coarser interval.
const MAX_POINTS = 50_000;
const BUCKET_SECONDS: Record<MetricInterval, number> = { raw: 60, hour: HOUR, day: DAY };

/** Reads metric series and fleet summaries, each from the table that covers the range. */
@Injectable()
export class MetricQueryRepository {
  private readonly dialect: SqlDialect;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly vms: VmQueryRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.dialect = SqlDialect.of(dataSource);
  }

  /** The finest table that still holds data as old as `from`: raw, then hourly, then daily. */
  intervalFor(from: Date, now = new Date()): MetricInterval {
    const age = (now.getTime() - from.getTime()) / 1000;
    if (age <= this.config.metrics.realtimeRetentionHours * HOUR) return 'raw';
    if (age <= this.config.metrics.hourlyRetentionDays * DAY) return 'hour';
    return 'day';
  }

  async series(vmId: string, names: readonly MetricName[], range: MetricRange): Promise<MetricSeries[]> {
    const { from, to } = secondsOf(range);
    const expected = Math.ceil((to - from) / BUCKET_SECONDS[range.interval]) * names.length;
    if (expected > MAX_POINTS) {
      throw new BadInputError(`the range asks for about ${expected} points (at most ${MAX_POINTS}): narrow from/to or use a coarser interval`);
    }
    const list = names.map(() => '?').join(', ');
    const rows =
      range.interval === 'raw'
        ? await this.dialect.query<{ name: MetricName; t: unknown; value: unknown }>(
            this.dataSource,
            `SELECT "name", "ts" AS "t", "value" FROM "metric_samples" WHERE "vm_id" = ? AND "name" IN (${list}) AND "ts" >= ? AND "ts" < ? ORDER BY "name", "ts"`,
            [vmId, ...names, from, to],
          )
        : await this.dialect.query<{ name: MetricName; t: unknown; min: unknown; max: unknown; sum: unknown; count: unknown }>(
            this.dataSource,
            `SELECT "name", "bucket" AS "t", "min", "max", "sum", "count" FROM "metric_rollups_${range.interval === 'hour' ? 'hourly' : 'daily'}"
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
    return names.map((name) => ({ name, unit: METRIC_UNITS[name], points: byName.get(name) ?? [] }));
  }

  /** Per metric, the average (and extremes) over every VM matching the filter in the window. */
  async summary(filter: VmFilter, range: MetricRange, names: readonly MetricName[] = METRIC_NAMES): Promise<{ vmCount: number; metrics: FleetMetric[] }> {
    const [vmSql, vmParams] = this.vms.idQuery(filter).getQueryAndParameters();
    const { from, to } = secondsOf(range);
    const list = names.map(() => '?').join(', ');
    // The VM subquery's placeholders come first, so ours are numbered after them on PostgreSQL.
    const aggregate =
      range.interval === 'raw'
        ? { table: 'metric_samples', t: 'ts', avg: 'AVG(s."value")', min: 'MIN(s."value")', max: 'MAX(s."value")', count: 'COUNT(*)' }
        : {
            table: range.interval === 'hour' ? 'metric_rollups_hourly' : 'metric_rollups_daily',
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
    const byName = new Map(rows.map((row) => [row.name, row]));
    return {
      vmCount: toNumber(n),
      metrics: names.map((name) => {
        const row = byName.get(name);
        return {
          name,
          unit: METRIC_UNITS[name],
          avg: row ? toNumber(row.avg) : null,
          min: row ? toNumber(row.min) : null,
          max: row ? toNumber(row.max) : null,
          samples: row ? toNumber(row.samples) : 0,
          vms: row ? toNumber(row.vms) : 0,
        };
      }),
    };
  }
}

/** The range in epoch seconds; a rollup bucket that overlaps `from` is included whole. */
function secondsOf(range: MetricRange): { from: number; to: number } {
  const from = Math.floor(range.from.getTime() / 1000);
  return {
    from: range.interval === 'raw' ? from : bucketOf(from, BUCKET_SECONDS[range.interval]),
    to: Math.ceil(range.to.getTime() / 1000),
  };
}
