import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { bucketOf, DAY, HOUR } from './metric-time.js';
import { SqlDialect, toNumber } from '@hybridforms/persistence';

export interface RollupResult {
  /** (hour, VM) pairs recomputed. */
  vmHours: number;
  hours: number;
  days: number;
}

const VM_CHUNK = 400;

/**
 * Incremental rollups: only the (hour, VM) pairs that received samples since the last pass are
 * recomputed, hourly from the raw samples and daily from the hourly rows, so a rollup is always
 * exactly the aggregate of what is stored, however late or repeated the samples came. One UTC
 * day per transaction keeps each lock short.
 */
@Injectable()
export class MetricRollupService {
  private readonly logger = new Logger(MetricRollupService.name);
  private readonly dialect: SqlDialect;
  private running: Promise<RollupResult> | null = null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.dialect = SqlDialect.of(dataSource);
  }

  /** Rolls up everything pending; a call while a pass runs joins it. */
  rollupPending(): Promise<RollupResult> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  /** The oldest pending hour (retention must not purge raw samples that are not rolled up yet). */
  async oldestPendingBucket(): Promise<number | null> {
    const [row] = await this.dialect.query<{ oldest: unknown }>(this.dataSource, `SELECT MIN("bucket") AS "oldest" FROM "metric_rollup_pending"`);
    return row?.oldest === null || row?.oldest === undefined ? null : toNumber(row.oldest);
  }

  private async pass(): Promise<RollupResult> {
    const total: RollupResult = { vmHours: 0, hours: 0, days: 0 };
    const started = Date.now();
    for (;;) {
      const day = await this.oldestPendingDay();
      if (day === null) break;
      const result = await this.dataSource.transaction((manager) => this.rollupDay(manager, day));
      total.vmHours += result.vmHours;
      total.hours += result.hours;
      total.days += 1;
    }
    if (total.vmHours > 0) this.logger.debug(`rolled up ${total.vmHours} vm-hours over ${total.days} day(s) in ${Date.now() - started} ms`);
    return total;
  }

  private async oldestPendingDay(): Promise<number | null> {
    const oldest = await this.oldestPendingBucket();
    return oldest === null ? null : bucketOf(oldest, DAY);
  }

  private async rollupDay(manager: EntityManager, day: number): Promise<{ vmHours: number; hours: number }> {
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
      for (let i = 0; i < vms.length; i += VM_CHUNK) {
        const chunk = vms.slice(i, i + VM_CHUNK);
        await this.dialect.query(
          manager,
          `INSERT INTO "metric_rollups_hourly" ("vm_id", "name", "bucket", "min", "max", "sum", "count")
           SELECT "vm_id", "name", ?, MIN("value"), MAX("value"), SUM("value"), COUNT(*) FROM "metric_samples"
           WHERE "vm_id" IN (${placeholders(chunk.length)}) AND "ts" >= ? AND "ts" < ?
           GROUP BY "vm_id", "name"
           ${upsert}`,
          [hour, ...chunk, hour, hour + HOUR],
        );
      }
    }
    const vms = [...new Set(claimed.map((row) => row.vm_id))];
    for (let i = 0; i < vms.length; i += VM_CHUNK) {
      const chunk = vms.slice(i, i + VM_CHUNK);
      await this.dialect.query(
        manager,
        `INSERT INTO "metric_rollups_daily" ("vm_id", "name", "bucket", "min", "max", "sum", "count")
         SELECT "vm_id", "name", ?, MIN("min"), MAX("max"), SUM("sum"), SUM("count") FROM "metric_rollups_hourly"
         WHERE "vm_id" IN (${placeholders(chunk.length)}) AND "bucket" >= ? AND "bucket" < ?
         GROUP BY "vm_id", "name"
         ${upsert}`,
        [day, ...chunk, day, day + DAY],
      );
    }
    return { vmHours: claimed.length, hours: vmsByHour.size };
  }
}

const upsert = `ON CONFLICT ("vm_id", "name", "bucket") DO UPDATE SET "min" = excluded."min", "max" = excluded."max", "sum" = excluded."sum", "count" = excluded."count"`;

function placeholders(count: number): string {
  return new Array(count).fill('?').join(', ');
}
