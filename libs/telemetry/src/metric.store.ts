import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig, type MetricName } from '@hybridforms/core';
import { bucketOf, HOUR } from './metric-time.js';
import { SqlDialect } from '@hybridforms/persistence';

/** A sample as stored: our VM id, our metric name, epoch seconds. */
export interface StoredSample {
  vmId: string;
  name: MetricName;
  ts: number;
  value: number;
}

export interface IngestResult {
  written: number;
  /** Samples older than the realtime window (their hour is rolled up and about to be purged). */
  tooOld: number;
  /** Repeated keys in one batch (the last value wins). */
  duplicates: number;
}

// SQLite binds at most 32766 parameters per statement; 4 per sample leaves room.
const SQLITE_CHUNK = 4000;
// PostgreSQL gets whole columns as arrays (unnest): 4 parameters whatever the row count.
const POSTGRES_CHUNK = 50_000;

/**
 * Bulk ingestion of metric samples. A sample re-read later (an overlapping capture, a value the
 * provider revised) replaces the stored one. The same transaction marks each (hour, VM) it
 * touched as pending, so rollups recompute exactly those hours.
 */
@Injectable()
export class MetricStore {
  private readonly dialect: SqlDialect;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.dialect = SqlDialect.of(dataSource);
  }

  /**
   * The oldest hour that still accepts samples: the hour at the purge cutoff is excluded, so a
   * late sample never triggers a rollup of an hour whose raw samples are partly purged.
   */
  oldestAcceptedTs(nowMs = Date.now()): number {
    return realtimeCutoff(this.config, nowMs) + HOUR;
  }

  async ingest(samples: StoredSample[], nowMs = Date.now()): Promise<IngestResult> {
    const oldest = this.oldestAcceptedTs(nowMs);
    const byKey = new Map<string, StoredSample>();
    let tooOld = 0;
    for (const sample of samples) {
      if (sample.ts < oldest) tooOld++;
      else if (Number.isFinite(sample.value)) byKey.set(`${sample.vmId}\u0000${sample.name}\u0000${sample.ts}`, sample);
    }
    const unique = [...byKey.values()];
    if (unique.length === 0) return { written: 0, tooOld, duplicates: samples.length - tooOld };
    const pending = new Map<string, [number, string]>();
    for (const sample of unique) {
      const bucket = bucketOf(sample.ts, HOUR);
      pending.set(`${bucket}\u0000${sample.vmId}`, [bucket, sample.vmId]);
    }
    await this.dataSource.transaction(async (manager) => {
      const chunk = this.dialect.postgres ? POSTGRES_CHUNK : SQLITE_CHUNK;
      for (let i = 0; i < unique.length; i += chunk) await this.insertSamples(manager, unique.slice(i, i + chunk));
      const marks = [...pending.values()];
      for (let i = 0; i < marks.length; i += chunk) await this.markPending(manager, marks.slice(i, i + chunk), nowMs);
    });
    return { written: unique.length, tooOld, duplicates: samples.length - tooOld - unique.length };
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
}

/** Raw samples before this epoch second are expired (whole hours, so rollups stay exact). */
export function realtimeCutoff(config: AppConfig, nowMs: number): number {
  return bucketOf(Math.floor(nowMs / 1000) - config.metrics.realtimeRetentionHours * HOUR, HOUR);
}
