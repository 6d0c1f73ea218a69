import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { EventStore } from './event.store.js';
import { MetricRollupService } from './metric-rollup.service.js';
import { realtimeCutoff } from './metric.store.js';
import { bucketOf, DAY, HOUR } from './metric-time.js';
import { SqlDialect, toNumber } from '@hybridforms/persistence';

export interface PurgeResult {
  samples: number;
  hourly: number;
  daily: number;
  events: number;
  /** Epoch-second cutoffs used: rows strictly before them were expired. */
  cutoffs: { samples: number; hourly: number; daily: number };
}

// Rows are deleted a time slice per statement, each its own short transaction, so ingestion
// (which needs the write lock on SQLite) is never held up for long.
const SAMPLE_SLICE_SECONDS = 15 * 60;
const ROLLUP_SLICE_SECONDS = 7 * DAY;

/**
 * Retention: raw samples for `realtimeRetentionHours`, hourly rollups for `hourlyRetentionDays`,
 * daily rollups for `dailyRetentionDays`, events for `events.retentionDays`. Raw samples of an
 * hour still waiting for its rollup are never purged.
 */
@Injectable()
export class MetricRetentionService {
  private readonly logger = new Logger(MetricRetentionService.name);
  private readonly dialect: SqlDialect;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rollups: MetricRollupService,
    private readonly events: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.dialect = SqlDialect.of(dataSource);
  }

  async purge(nowMs = Date.now()): Promise<PurgeResult> {
    const now = Math.floor(nowMs / 1000);
    const pending = await this.rollups.oldestPendingBucket();
    const samplesCutoff = Math.min(realtimeCutoff(this.config, nowMs), pending ?? Number.POSITIVE_INFINITY);
    const cutoffs = {
      samples: samplesCutoff,
      hourly: bucketOf(now - this.config.metrics.hourlyRetentionDays * DAY, HOUR),
      daily: bucketOf(now - this.config.metrics.dailyRetentionDays * DAY, DAY),
    };
    const result: PurgeResult = {
      samples: await this.purgeTable('metric_samples', 'ts', cutoffs.samples, SAMPLE_SLICE_SECONDS),
      hourly: await this.purgeTable('metric_rollups_hourly', 'bucket', cutoffs.hourly, ROLLUP_SLICE_SECONDS),
      daily: await this.purgeTable('metric_rollups_daily', 'bucket', cutoffs.daily, ROLLUP_SLICE_SECONDS),
      events: await this.events.purgeBefore(new Date(nowMs - this.config.events.retentionDays * DAY * 1000)),
      cutoffs,
    };
    if (result.samples + result.hourly + result.daily + result.events > 0) {
      this.logger.log(`purged ${result.samples} samples, ${result.hourly} hourly and ${result.daily} daily rollups, ${result.events} events`);
    }
    return result;
  }

  private async purgeTable(table: string, column: string, cutoff: number, slice: number): Promise<number> {
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
}
