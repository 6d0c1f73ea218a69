import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { realtimeCutoff } from './metric.store.js';
import { bucketOf, DAY, EventRepository, HOUR, MetricRepository } from '@hybridforms/persistence';

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
  constructor(
    private readonly metrics: MetricRepository,
    private readonly events: EventRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async purge(nowMs = Date.now()): Promise<PurgeResult> {
    const now = Math.floor(nowMs / 1000);
    const pending = await this.metrics.oldestPendingBucket();
    const samplesCutoff = Math.min(realtimeCutoff(this.config, nowMs), pending ?? Number.POSITIVE_INFINITY);
    const cutoffs = {
      samples: samplesCutoff,
      hourly: bucketOf(now - this.config.metrics.hourlyRetentionDays * DAY, HOUR),
      daily: bucketOf(now - this.config.metrics.dailyRetentionDays * DAY, DAY),
    };
    const result: PurgeResult = {
      samples: await this.metrics.purgeBefore('metric_samples', cutoffs.samples, SAMPLE_SLICE_SECONDS),
      hourly: await this.metrics.purgeBefore('metric_rollups_hourly', cutoffs.hourly, ROLLUP_SLICE_SECONDS),
      daily: await this.metrics.purgeBefore('metric_rollups_daily', cutoffs.daily, ROLLUP_SLICE_SECONDS),
      events: await this.events.purgeBefore(new Date(nowMs - this.config.events.retentionDays * DAY * 1000)),
      cutoffs,
    };
    if (result.samples + result.hourly + result.daily + result.events > 0) {
      this.logger.log(`purged ${result.samples} samples, ${result.hourly} hourly and ${result.daily} daily rollups, ${result.events} events`);
    }
    return result;
  }
}
