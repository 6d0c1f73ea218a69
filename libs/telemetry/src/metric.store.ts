import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { bucketOf, HOUR, MetricRepository, type StoredSample } from '@hybridforms/persistence';

export interface IngestResult {
  written: number;
  /** Samples older than the realtime window (their hour is rolled up and about to be purged). */
  tooOld: number;
  /** Repeated keys in one batch (the last value wins). */
  duplicates: number;
}

/**
 * Bulk ingestion of metric samples. A sample re-read later (an overlapping capture, a value the
 * provider revised) replaces the stored one. The same transaction marks each (hour, VM) it
 * touched as pending, so rollups recompute exactly those hours.
 */
@Injectable()
export class MetricStore {
  constructor(
    private readonly metrics: MetricRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

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
    await this.metrics.ingest(unique, [...pending.values()], nowMs);
    return { written: unique.length, tooOld, duplicates: samples.length - tooOld - unique.length };
  }
}

/** Raw samples before this epoch second are expired (whole hours, so rollups stay exact). */
export function realtimeCutoff(config: AppConfig, nowMs: number): number {
  return bucketOf(Math.floor(nowMs / 1000) - config.metrics.realtimeRetentionHours * HOUR, HOUR);
}
